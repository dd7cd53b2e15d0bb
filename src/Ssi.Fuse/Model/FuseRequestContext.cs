namespace Ssi.Fuse;

/// <summary>
/// Who sent a request and how to notice that it was abandoned: the caller's credentials as the kernel
/// saw them, the request's unique id, and a token cancelled when the kernel sends FUSE_INTERRUPT
/// (the calling process got a signal) or the mount goes away.
/// </summary>
/// <param name="Unique">The kernel's id of this request.</param>
/// <param name="Uid">File system uid of the calling thread.</param>
/// <param name="Gid">File system gid of the calling thread.</param>
/// <param name="Pid">Thread group id of the caller (0 for requests the kernel makes on its own, such as writeback).</param>
/// <param name="Cancellation">Cancelled on INTERRUPT; a handler that honours it replies EINTR.</param>
public readonly record struct FuseRequestContext(ulong Unique, uint Uid, uint Gid, uint Pid, CancellationToken Cancellation);
