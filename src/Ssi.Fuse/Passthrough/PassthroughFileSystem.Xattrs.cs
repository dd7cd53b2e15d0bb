using Ssi.Fuse.Native;

namespace Ssi.Fuse.Passthrough;

/// <summary>Extended attributes, through the /proc/self/fd path of the node's descriptor.</summary>
public sealed partial class PassthroughFileSystem
{
    /// <inheritdoc />
    public unsafe ValueTask<Errno> SetExtendedAttributeAsync(FuseRequestContext context, ulong node, FileName name, ReadOnlyMemory<byte> value, int flags)
    {
        PassthroughInode? inode = Node(node);
        if (inode is null)
            return Done(Errno.ENOENT);
        Span<byte> proc = stackalloc byte[NativePath.ProcBufferSize];
        Span<byte> attribute = stackalloc byte[NativePath.NameBufferSize];
        NativePath.Proc(inode.Fd, proc);
        if (!NativePath.TryName(name, attribute))
            return Done(Errno.ERANGE);
        fixed (byte* p = proc)
        fixed (byte* a = attribute)
        fixed (byte* v = value.Span)
            return Done(Libc.SetXattr(p, a, v, value.Length, flags) == 0 ? Errno.Ok : LastError());
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<int>> GetExtendedAttributeAsync(FuseRequestContext context, ulong node, FileName name, Memory<byte> destination)
    {
        PassthroughInode? inode = Node(node);
        if (inode is null)
            return Done<int>(Errno.ENOENT);
        Span<byte> proc = stackalloc byte[NativePath.ProcBufferSize];
        Span<byte> attribute = stackalloc byte[NativePath.NameBufferSize];
        NativePath.Proc(inode.Fd, proc);
        if (!NativePath.TryName(name, attribute))
            return Done<int>(Errno.ERANGE);
        fixed (byte* p = proc)
        fixed (byte* a = attribute)
        fixed (byte* d = destination.Span)
        {
            nint n = Libc.GetXattr(p, a, d, destination.Length);
            return Done<int>(n < 0 ? LastError() : (int)n);
        }
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<int>> ListExtendedAttributesAsync(FuseRequestContext context, ulong node, Memory<byte> destination)
    {
        PassthroughInode? inode = Node(node);
        if (inode is null)
            return Done<int>(Errno.ENOENT);
        Span<byte> proc = stackalloc byte[NativePath.ProcBufferSize];
        NativePath.Proc(inode.Fd, proc);
        fixed (byte* p = proc)
        fixed (byte* d = destination.Span)
        {
            nint n = Libc.ListXattr(p, d, destination.Length);
            return Done<int>(n < 0 ? LastError() : (int)n);
        }
    }

    /// <inheritdoc />
    public unsafe ValueTask<Errno> RemoveExtendedAttributeAsync(FuseRequestContext context, ulong node, FileName name)
    {
        PassthroughInode? inode = Node(node);
        if (inode is null)
            return Done(Errno.ENOENT);
        Span<byte> proc = stackalloc byte[NativePath.ProcBufferSize];
        Span<byte> attribute = stackalloc byte[NativePath.NameBufferSize];
        NativePath.Proc(inode.Fd, proc);
        if (!NativePath.TryName(name, attribute))
            return Done(Errno.ERANGE);
        fixed (byte* p = proc)
        fixed (byte* a = attribute)
            return Done(Libc.RemoveXattr(p, a) == 0 ? Errno.Ok : LastError());
    }
}
