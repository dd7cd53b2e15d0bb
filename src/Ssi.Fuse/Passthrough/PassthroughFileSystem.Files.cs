using System.Collections.Concurrent;
using Ssi.Fuse.Native;

namespace Ssi.Fuse.Passthrough;

/// <summary>Open files: open, create, read, write, flush, release, fsync, fallocate, lseek, copy_file_range. A file handle is the backing descriptor.</summary>
public sealed partial class PassthroughFileSystem
{
    private readonly ConcurrentDictionary<int, byte> _openFiles = new();

    private OpenReplyFlags ReplyFlags =>
        (_options.KeepCache ? OpenReplyFlags.KeepCache : 0) | (_options.DirectIo ? OpenReplyFlags.DirectIo : 0);

    /// <summary>With the writeback cache the kernel may read from files opened write-only, and handles O_APPEND itself.</summary>
    private int BackingFlags(int flags)
    {
        flags &= ~(Libc.O_NOFOLLOW | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOCTTY);
        if (_writeback)
        {
            if ((flags & Libc.O_ACCMODE) == Libc.O_WRONLY)
                flags = (flags & ~Libc.O_ACCMODE) | Libc.O_RDWR;
            flags &= ~Libc.O_APPEND;
        }
        return flags | Libc.O_CLOEXEC;
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<FuseOpenReply>> OpenAsync(FuseRequestContext context, ulong node, int flags)
    {
        PassthroughInode? inode = Node(node);
        if (inode is null)
            return Done<FuseOpenReply>(Errno.ENOENT);
        Span<byte> proc = stackalloc byte[NativePath.ProcBufferSize];
        NativePath.Proc(inode.Fd, proc);
        int fd;
        fixed (byte* p = proc)
            fd = Libc.Open(p, BackingFlags(flags), 0);
        if (fd < 0)
            return Done<FuseOpenReply>(LastError());
        _openFiles[fd] = 0;
        return Done<FuseOpenReply>(new FuseOpenReply((ulong)fd, ReplyFlags));
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<FuseCreateReply>> CreateAsync(FuseRequestContext context, ulong parent, FileName name, int flags, uint mode, uint umask)
    {
        PassthroughInode? dir = Node(parent);
        if (dir is null)
            return Done<FuseCreateReply>(Errno.ENOENT);
        Span<byte> path = stackalloc byte[NativePath.NameBufferSize];
        if (!NativePath.TryName(name, path))
            return Done<FuseCreateReply>(Errno.EINVAL);
        int fd;
        fixed (byte* p = path)
        {
            // Create exclusively so that only a file made here is given to the caller; open an existing one as is.
            fd = Libc.OpenAt(dir.Fd, p, BackingFlags(flags) | Libc.O_CREAT | Libc.O_EXCL, mode);
            if (fd >= 0)
            {
                Errno owner = GiveToCaller(context, dir.Fd, p);
                if (!owner.IsOk)
                {
                    Libc.Close(fd);
                    Libc.UnlinkAt(dir.Fd, p, 0);
                    return Done<FuseCreateReply>(owner);
                }
            }
            else if (LastError() == Errno.EEXIST && (flags & Libc.O_EXCL) == 0)
            {
                fd = Libc.OpenAt(dir.Fd, p, BackingFlags(flags) | Libc.O_NOFOLLOW, 0);
            }
            if (fd < 0)
                return Done<FuseCreateReply>(LastError());
        }
        FuseResult<FuseEntry> entry = LookupCore(parent, name.Span);
        if (!entry.IsOk)
        {
            Libc.Close(fd);
            return Done<FuseCreateReply>(entry.Error);
        }
        _openFiles[fd] = 0;
        return Done<FuseCreateReply>(new FuseCreateReply(entry.Value, new FuseOpenReply((ulong)fd, ReplyFlags)));
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<int>> ReadAsync(FuseRequestContext context, ulong node, ulong handle, long offset, Memory<byte> destination)
    {
        int total = 0;
        fixed (byte* p = destination.Span)
        {
            while (total < destination.Length)
            {
                nint n = Libc.Pread((int)handle, p + total, destination.Length - total, offset + total);
                if (n < 0)
                {
                    Errno error = LastError();
                    if (error == Errno.EINTR)
                        continue;
                    if (total == 0)
                        return Done<int>(error);
                    break;
                }
                if (n == 0)
                    break;
                total += (int)n;
            }
        }
        return Done<int>(total);
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<int>> WriteAsync(FuseRequestContext context, ulong node, ulong handle, long offset, ReadOnlyMemory<byte> data, uint writeFlags)
    {
        int total = 0;
        fixed (byte* p = data.Span)
        {
            while (total < data.Length)
            {
                nint n = Libc.Pwrite((int)handle, p + total, data.Length - total, offset + total);
                if (n < 0)
                {
                    Errno error = LastError();
                    if (error == Errno.EINTR)
                        continue;
                    if (total == 0)
                        return Done<int>(error);
                    break;
                }
                total += (int)n;
            }
        }
        return Done<int>(total);
    }

    /// <inheritdoc />
    public ValueTask<Errno> FlushAsync(FuseRequestContext context, ulong node, ulong handle, ulong lockOwner)
    {
        // close(2) by any descriptor of a process drops that process's POSIX locks on the file.
        ReleaseOwnerLocks(node, lockOwner);
        return Done(Errno.Ok);
    }

    /// <inheritdoc />
    public ValueTask<Errno> ReleaseAsync(FuseRequestContext context, ulong node, ulong handle, int flags, uint releaseFlags, ulong lockOwner)
    {
        if (lockOwner != 0)
            ReleaseOwnerLocks(node, lockOwner);
        int fd = (int)handle;
        if (_openFiles.TryRemove(fd, out _))
            Libc.Close(fd);
        return Done(Errno.Ok);
    }

    /// <inheritdoc />
    public ValueTask<Errno> FsyncAsync(FuseRequestContext context, ulong node, ulong handle, bool dataOnly)
    {
        int rc = dataOnly ? Libc.Fdatasync((int)handle) : Libc.Fsync((int)handle);
        return Done(rc == 0 ? Errno.Ok : LastError());
    }

    /// <inheritdoc />
    public ValueTask<Errno> FallocateAsync(FuseRequestContext context, ulong node, ulong handle, long offset, long length, int mode) =>
        Done(Libc.Fallocate((int)handle, mode, offset, length) == 0 ? Errno.Ok : LastError());

    /// <inheritdoc />
    public ValueTask<FuseResult<long>> SeekAsync(FuseRequestContext context, ulong node, ulong handle, long offset, int whence)
    {
        long result = Libc.Lseek((int)handle, offset, whence);
        return Done<long>(result < 0 ? LastError() : result);
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<long>> CopyFileRangeAsync(FuseRequestContext context, ulong nodeIn, ulong handleIn, long offsetIn, ulong nodeOut, ulong handleOut, long offsetOut, long length, ulong flags)
    {
        long inOffset = offsetIn, outOffset = offsetOut;
        nint n = Libc.CopyFileRange((int)handleIn, &inOffset, (int)handleOut, &outOffset, (nint)length, (uint)flags);
        return Done<long>(n < 0 ? LastError() : (long)n);
    }
}
