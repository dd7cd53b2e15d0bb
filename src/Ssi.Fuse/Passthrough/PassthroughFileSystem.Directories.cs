using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Ssi.Fuse.Native;

namespace Ssi.Fuse.Passthrough;

/// <summary>Directory listing: opendir, readdir(plus), releasedir, fsyncdir over libc DIR streams.</summary>
public sealed partial class PassthroughFileSystem
{
    private readonly ConcurrentDictionary<ulong, DirectoryStream> _directories = new();
    private long _nextDirectoryHandle;

    /// <summary>An open backing directory and the cookie of the next entry it will return.</summary>
    private sealed class DirectoryStream
    {
        public required nint Dir { get; init; }
        public required int Fd { get; init; }
        public long Position { get; set; }
        public Lock Gate { get; } = new();
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<FuseOpenReply>> OpenDirectoryAsync(FuseRequestContext context, ulong node, int flags)
    {
        PassthroughInode? inode = Node(node);
        if (inode is null)
            return Done<FuseOpenReply>(Errno.ENOENT);
        byte* dot = stackalloc byte[2] { (byte)'.', 0 };
        int fd = Libc.OpenAt(inode.Fd, dot, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            return Done<FuseOpenReply>(LastError());
        nint dir = Libc.FdOpenDir(fd);
        if (dir == 0)
        {
            Errno error = LastError();
            Libc.Close(fd);
            return Done<FuseOpenReply>(error);
        }
        ulong handle = (ulong)Interlocked.Increment(ref _nextDirectoryHandle);
        _directories[handle] = new DirectoryStream { Dir = dir, Fd = fd };
        return Done<FuseOpenReply>(new FuseOpenReply(handle));
    }

    /// <inheritdoc />
    public unsafe ValueTask<Errno> ReadDirectoryAsync(FuseRequestContext context, ulong node, ulong handle, long offset, DirectoryEntryWriter entries)
    {
        if (!_directories.TryGetValue(handle, out var stream))
            return Done(Errno.EBADF);
        lock (stream.Gate)
        {
            if (offset != stream.Position)
            {
                Libc.SeekDir(stream.Dir, offset);
                stream.Position = offset;
            }
            while (true)
            {
                Marshal.SetLastPInvokeError(0);
                Dirent* d = Libc.ReadDir(stream.Dir);
                if (d is null)
                {
                    Errno error = LastError();
                    return Done(error.IsOk || entries.Count > 0 ? Errno.Ok : error);
                }
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(d->Name);
                long next = d->Offset;
                bool added;
                if (entries.IsPlus && DirectoryEntryWriter.CountsLookup(name))
                {
                    FuseResult<FuseEntry> entry = LookupCore(node, name);
                    if (!entry.IsOk || entry.Value.NodeId == 0)
                    {
                        stream.Position = next; // vanished since the listing was read: skip it
                        continue;
                    }
                    added = entries.TryAddPlus(name, entry.Value, next);
                    if (!added)
                        _inodes.Forget(entry.Value.NodeId, 1);
                }
                else
                {
                    added = entries.TryAdd(name, d->Ino, d->Type, next);
                }
                if (!added)
                {
                    // Full: go back so that this entry comes first in the next call.
                    Libc.SeekDir(stream.Dir, stream.Position);
                    return Done(Errno.Ok);
                }
                stream.Position = next;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<Errno> ReleaseDirectoryAsync(FuseRequestContext context, ulong node, ulong handle)
    {
        if (_directories.TryRemove(handle, out var stream))
        {
            lock (stream.Gate)
                Libc.CloseDir(stream.Dir);
        }
        return Done(Errno.Ok);
    }

    /// <inheritdoc />
    public ValueTask<Errno> FsyncDirectoryAsync(FuseRequestContext context, ulong node, ulong handle, bool dataOnly)
    {
        if (!_directories.TryGetValue(handle, out var stream))
            return Done(Errno.EBADF);
        int rc = dataOnly ? Libc.Fdatasync(stream.Fd) : Libc.Fsync(stream.Fd);
        return Done(rc == 0 ? Errno.Ok : LastError());
    }

    private void CloseAllHandles()
    {
        foreach (var handle in _directories.Keys)
        {
            if (_directories.TryRemove(handle, out var stream))
                Libc.CloseDir(stream.Dir);
        }
        foreach (var fd in _openFiles.Keys)
        {
            if (_openFiles.TryRemove(fd, out _))
                Libc.Close(fd);
        }
        foreach (var key in _lockOwners.Keys)
        {
            if (_lockOwners.TryRemove(key, out int fd))
                Libc.Close(fd);
        }
    }
}
