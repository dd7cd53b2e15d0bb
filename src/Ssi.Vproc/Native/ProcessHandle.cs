using Ssi.Posix;

namespace Ssi.Vproc.Native;

/// <summary>
/// A pidfd on a child of this process whose exit is awaited through the shared epoll thread
/// (<see cref="FdPoller"/>) rather than a thread or a timer per process.
/// </summary>
internal sealed class ProcessHandle : Pidfd
{
    private ProcessHandle(int fd, int pid) : base(fd, pid) { }

    /// <summary>Opens a pidfd on <paramref name="pid"/>; null when no such process exists.</summary>
    public static new ProcessHandle? Open(int pid)
    {
        int fd = OpenDescriptor(pid);
        return fd >= 0 ? new ProcessHandle(fd, pid) : null;
    }

    /// <summary>Waits for the child to exit and reaps it.</summary>
    public async Task<WaitStatus> WaitForExitAsync(CancellationToken ct = default)
    {
        while (true)
        {
            if (TryReap() is { } status)
                return status;
            await FdPoller.Shared.WaitAsync(Descriptor, LibC.EPOLLIN, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Completes once the child has exited, without reaping it; cancel it before anyone else
    /// waits on this handle (one wait at a time).
    /// </summary>
    public Task WhenExitedAsync(CancellationToken ct) => FdPoller.Shared.WaitAsync(Descriptor, LibC.EPOLLIN, ct);

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        FdPoller.Shared.Remove((int)handle);
        return base.ReleaseHandle();
    }
}
