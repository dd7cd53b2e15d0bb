using Microsoft.Win32.SafeHandles;

namespace Ssi.Posix;

/// <summary>
/// A pidfd: a handle on one process that cannot be confused with a later process reusing its
/// pid. It signals, tells when the process has exited (the descriptor polls readable then, for
/// children and non-children alike) and reaps our own children with <c>waitid(P_PIDFD)</c>,
/// never <c>waitpid(-1)</c>, which the .NET runtime forbids in a process that uses
/// System.Diagnostics.Process.
/// </summary>
public class Pidfd : SafeHandleMinusOneIsInvalid
{
    /// <summary>Takes ownership of <paramref name="fd"/>, a pidfd on <paramref name="pid"/>.</summary>
    protected Pidfd(int fd, int pid) : base(ownsHandle: true)
    {
        SetHandle(fd);
        Pid = pid;
    }

    /// <summary>The process id, in this process's PID namespace.</summary>
    public int Pid { get; }

    /// <summary>The descriptor, for waiting on it with poll or epoll.</summary>
    protected int Descriptor => (int)handle;

    /// <summary>Opens a pidfd on <paramref name="pid"/>; null when no such process exists.</summary>
    /// <exception cref="IOException">pidfd_open failed otherwise (for example EMFILE).</exception>
    public static Pidfd? Open(int pid)
    {
        int fd = OpenDescriptor(pid);
        return fd >= 0 ? new Pidfd(fd, pid) : null;
    }

    /// <summary>The bare <c>pidfd_open</c> behind <see cref="Open"/>, for derived handles: -1 when no such process exists.</summary>
    /// <exception cref="IOException">pidfd_open failed otherwise.</exception>
    protected static int OpenDescriptor(int pid)
    {
        int fd = LibC.PidfdOpen(pid, 0);
        if (fd >= 0)
            return fd;
        int errno = LibC.Errno;
        return errno == LibC.ESRCH ? -1 : throw new IOException($"pidfd_open({pid}) failed: errno {errno}");
    }

    /// <summary>Sends <paramref name="signal"/>; false when the process has already exited.</summary>
    /// <exception cref="UnauthorizedAccessException">Not permitted (EPERM).</exception>
    /// <exception cref="IOException">pidfd_send_signal failed otherwise.</exception>
    public unsafe bool Signal(int signal)
    {
        if (LibC.PidfdSendSignal(Descriptor, signal, null, 0) == 0)
            return true;
        int errno = LibC.Errno;
        return errno switch
        {
            LibC.ESRCH => false,
            LibC.EPERM => throw new UnauthorizedAccessException($"not permitted to signal pid {Pid}"),
            _ => throw new IOException($"pidfd_send_signal({Pid}, {signal}) failed: errno {errno}"),
        };
    }

    /// <summary>True once the process has exited (it may still be an unreaped zombie).</summary>
    public unsafe bool HasExited
    {
        get
        {
            var pfd = new LibC.PollFd { Fd = Descriptor, Events = LibC.POLLIN };
            return LibC.Poll(&pfd, 1, 0) > 0 && (pfd.Revents & LibC.POLLIN) != 0;
        }
    }

    /// <summary>
    /// Waits until the process exits, looking every 10 ms, without reaping it; false on timeout.
    /// Works for any process, child or not.
    /// </summary>
    public async Task<bool> WaitUntilExitedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!HasExited)
        {
            if (Environment.TickCount64 > deadline)
                return false;
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>Reaps the process, which must be our child, if it has exited; null while it runs.</summary>
    /// <exception cref="IOException">waitid failed (ECHILD: not our child, or already reaped).</exception>
    public unsafe WaitStatus? TryReap()
    {
        byte* info = stackalloc byte[LibC.SigInfoSize];
        new Span<byte>(info, LibC.SigInfoSize).Clear();
        if (LibC.WaitId(LibC.P_PIDFD, Descriptor, info, LibC.WEXITED | LibC.WNOHANG) != 0)
        {
            int errno = LibC.Errno;
            if (errno == LibC.EINTR)
                return null;
            throw new IOException($"waitid on pid {Pid} failed: errno {errno}");
        }
        // siginfo_t: si_signo @0, si_code @8, si_pid @16, si_status @24. si_pid 0: still running.
        if (*(int*)(info + 16) == 0)
            return null;
        int code = *(int*)(info + 8);
        int status = *(int*)(info + 24);
        return code == LibC.CLD_EXITED ? new WaitStatus(status, 0) : new WaitStatus(128 + status, status);
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => Syscall.Close((int)handle) == 0;
}
