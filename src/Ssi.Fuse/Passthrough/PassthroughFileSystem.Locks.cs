using System.Collections.Concurrent;
using Ssi.Fuse.Native;

namespace Ssi.Fuse.Passthrough;

/// <summary>
/// Record locks per lock owner (one backing open file description each, locked with F_OFD_*) and
/// flock locks on the open file. Blocking requests poll with backoff so that INTERRUPT can end them.
/// </summary>
public sealed partial class PassthroughFileSystem
{
    private static readonly TimeSpan s_maxLockPoll = TimeSpan.FromMilliseconds(50);
    private readonly ConcurrentDictionary<(ulong Node, ulong Owner), int> _lockOwners = new();

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<FileLock>> GetLockAsync(FuseRequestContext context, ulong node, ulong handle, ulong owner, FileLock request)
    {
        PassthroughInode? inode = Node(node);
        if (inode is null)
            return Done<FileLock>(Errno.ENOENT);
        Errno error = OwnerDescriptor(inode, owner, out int fd);
        if (!error.IsOk)
            return Done<FileLock>(error);
        var fl = new Flock { Type = (short)request.Type, Start = (long)request.Start, Length = request.Length };
        if (Libc.FcntlLock(fd, Libc.F_OFD_GETLK, &fl) != 0)
            return Done<FileLock>(LastError());
        if (fl.Type == Libc.F_UNLCK)
            return Done<FileLock>(request with { Type = LockType.Unlock });
        ulong end = fl.Length == 0 ? FileLock.ToEndOfFile : (ulong)(fl.Start + fl.Length - 1);
        return Done<FileLock>(new FileLock((ulong)fl.Start, end, (LockType)fl.Type, 0));
    }

    /// <inheritdoc />
    public ValueTask<Errno> SetLockAsync(FuseRequestContext context, ulong node, ulong handle, ulong owner, FileLock request, bool wait, bool isFlock)
    {
        PassthroughInode? inode = Node(node);
        if (inode is null)
            return Done(Errno.ENOENT);
        Errno result = TryLock(inode, handle, owner, request, isFlock);
        if (!wait || result != Errno.EAGAIN)
            return Done(result);
        return WaitForLockAsync(inode, handle, owner, request, isFlock, context.Cancellation);
    }

    private async ValueTask<Errno> WaitForLockAsync(PassthroughInode inode, ulong handle, ulong owner, FileLock request, bool isFlock, CancellationToken cancellation)
    {
        var delay = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            try
            {
                await Task.Delay(delay, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Errno.EINTR;
            }
            Errno result = TryLock(inode, handle, owner, request, isFlock);
            if (result != Errno.EAGAIN)
                return result;
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_maxLockPoll.Ticks));
        }
    }

    private unsafe Errno TryLock(PassthroughInode inode, ulong handle, ulong owner, FileLock request, bool isFlock)
    {
        if (isFlock)
        {
            int operation = request.Type switch
            {
                LockType.Unlock => Libc.LOCK_UN,
                LockType.Read => Libc.LOCK_SH,
                _ => Libc.LOCK_EX,
            };
            return Libc.Flock((int)handle, operation | Libc.LOCK_NB) == 0 ? Errno.Ok : LastError();
        }
        if (request.Type == LockType.Unlock && !_lockOwners.ContainsKey((inode.NodeId, owner)))
            return Errno.Ok;
        Errno error = OwnerDescriptor(inode, owner, out int fd);
        if (!error.IsOk)
            return error;
        var fl = new Flock { Type = (short)request.Type, Start = (long)request.Start, Length = request.Length };
        if (Libc.FcntlLock(fd, Libc.F_OFD_SETLK, &fl) == 0)
            return Errno.Ok;
        error = LastError();
        return error == Errno.EACCES ? Errno.EAGAIN : error;
    }

    /// <summary>The backing open file description that carries <paramref name="owner"/>'s record locks on <paramref name="inode"/>.</summary>
    private unsafe Errno OwnerDescriptor(PassthroughInode inode, ulong owner, out int fd)
    {
        var key = (inode.NodeId, owner);
        if (_lockOwners.TryGetValue(key, out fd))
            return Errno.Ok;
        Span<byte> proc = stackalloc byte[NativePath.ProcBufferSize];
        NativePath.Proc(inode.Fd, proc);
        fixed (byte* p = proc)
        {
            fd = Libc.Open(p, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
            if (fd < 0)
                fd = Libc.Open(p, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        }
        if (fd < 0)
            return LastError();
        if (!_lockOwners.TryAdd(key, fd))
        {
            Libc.Close(fd);
            fd = _lockOwners[key];
        }
        return Errno.Ok;
    }

    private void ReleaseOwnerLocks(ulong node, ulong owner)
    {
        if (_lockOwners.TryRemove((node, owner), out int fd))
            Libc.Close(fd);
    }
}
