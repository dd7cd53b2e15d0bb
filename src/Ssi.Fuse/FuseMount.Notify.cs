using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Ssi.Fuse.Protocol;

namespace Ssi.Fuse;

/// <summary>
/// Notifications the server sends on its own to keep the kernel's caches coherent with changes
/// made elsewhere (another node, the backing store).
/// </summary>
/// <remarks>
/// Do not send a notification about a node from inside a handler serving a request on that same node
/// or its directory: the kernel may hold the lock the notification needs, and both wait forever.
/// ENOENT from a notification means the kernel had nothing cached, which is not an error for callers.
/// </remarks>
public sealed partial class FuseMount
{
    /// <summary>
    /// Drops the cached attributes of <paramref name="nodeId"/> and, unless <paramref name="offset"/>
    /// is negative, its cached data from <paramref name="offset"/> for <paramref name="length"/>
    /// bytes (0: to the end).
    /// </summary>
    public Errno InvalidateInode(ulong nodeId, long offset = 0, long length = 0)
    {
        var payload = new NotifyInvalInodeOut { Ino = nodeId, Offset = offset, Length = length };
        return Notify(FuseNotifyCode.InvalidateInode, payload, ReadOnlySpan<byte>.Empty, trailingNul: false);
    }

    /// <summary>
    /// Drops the cached directory entry <paramref name="name"/> in <paramref name="parent"/>, so the next access looks it up
    /// again. With <paramref name="expireOnly"/> the entry is only marked expired (kernel 6.2+).
    /// </summary>
    public Errno InvalidateEntry(ulong parent, ReadOnlySpan<byte> name, bool expireOnly = false)
    {
        var payload = new NotifyInvalEntryOut
        {
            Parent = parent,
            NameLength = (uint)name.Length,
            Flags = expireOnly ? NotifyInvalEntryOut.FlagExpireOnly : 0,
        };
        return Notify(FuseNotifyCode.InvalidateEntry, payload, name, trailingNul: true);
    }

    /// <inheritdoc cref="InvalidateEntry(ulong, ReadOnlySpan{byte}, bool)"/>
    public Errno InvalidateEntry(ulong parent, string name, bool expireOnly = false) =>
        InvalidateEntry(parent, Encoding.UTF8.GetBytes(name), expireOnly);

    /// <summary>
    /// Tells the kernel that <paramref name="name"/> in <paramref name="parent"/>, which was <paramref name="child"/>, was
    /// deleted: the entry is dropped and, if the kernel still holds the inode, it is marked unlinked.
    /// </summary>
    public Errno NotifyDelete(ulong parent, ulong child, ReadOnlySpan<byte> name)
    {
        var payload = new NotifyDeleteOut { Parent = parent, Child = child, NameLength = (uint)name.Length };
        return Notify(FuseNotifyCode.Delete, payload, name, trailingNul: true);
    }

    /// <inheritdoc cref="NotifyDelete(ulong, ulong, ReadOnlySpan{byte})"/>
    public Errno NotifyDelete(ulong parent, ulong child, string name) =>
        NotifyDelete(parent, child, Encoding.UTF8.GetBytes(name));

    /// <summary>Pushes <paramref name="data"/> into the kernel's page cache of <paramref name="nodeId"/> at <paramref name="offset"/> (extending the cached size if needed).</summary>
    public Errno Store(ulong nodeId, long offset, ReadOnlySpan<byte> data)
    {
        var payload = new NotifyStoreOut { NodeId = nodeId, Offset = (ulong)offset, Size = (uint)data.Length };
        return Notify(FuseNotifyCode.Store, payload, data, trailingNul: false);
    }

    private Errno Notify<T>(FuseNotifyCode code, in T payload, ReadOnlySpan<byte> tail, bool trailingNul) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int fixedSize = OutHeader.Size + Unsafe.SizeOf<T>();
        int size = fixedSize + tail.Length + (trailingNul ? 1 : 0);
        byte[] message = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var header = new OutHeader { Length = (uint)size, Error = (int)code, Unique = 0 };
            MemoryMarshal.Write(message, in header);
            MemoryMarshal.Write(message.AsSpan(OutHeader.Size), in payload);
            tail.CopyTo(message.AsSpan(fixedSize));
            if (trailingNul)
                message[size - 1] = 0;
            return _device.Send(message.AsSpan(0, size));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
        }
    }
}
