using Microsoft.Win32.SafeHandles;

namespace Ssi.Vproc.Native;

/// <summary>How a process ended, as waitid reports it.</summary>
/// <param name="Code">The exit code, or 128+N when killed by signal N (the shell's convention).</param>
/// <param name="Signal">The signal that killed it, or 0 when it exited.</param>
internal readonly record struct WaitStatus(int Code, int Signal);

/// <summary>
/// A pidfd on a child of this process: signals cannot reach a later process that reuses the
/// pid, exit is awaited through epoll and the child is reaped with waitid(P_PIDFD), never
/// waitpid(-1), which the .NET runtime forbids in a process that uses System.Diagnostics.Process.
/// </summary>
internal sealed class ProcessHandle : SafeHandleMinusOneIsInvalid
{
    private ProcessHandle(int fd, int pid) : base(ownsHandle: true)
    {
        SetHandle(fd);
        Pid = pid;
    }

    /// <summary>The process id in this node's PID namespace.</summary>
    public int Pid { get; }

    /// <summary>Opens a pidfd on <paramref name="pid"/>; null when no such process exists.</summary>
    public static ProcessHandle? Open(int pid)
    {
        int fd = LibC.PidfdOpen(pid, 0);
        if (fd >= 0)
            return new ProcessHandle(fd, pid);
        var errno = LibC.Errno;
        return errno == LibC.ESRCH ? null : throw new IOException($"pidfd_open({pid}) failed: errno {errno}");
    }

    /// <summary>Sends <paramref name="signal"/>; false when the process has already exited.</summary>
    /// <exception cref="UnauthorizedAccessException">Not permitted (EPERM).</exception>
    public unsafe bool Signal(int signal)
    {
        if (LibC.PidfdSendSignal((int)handle, signal, null, 0) == 0)
            return true;
        var errno = LibC.Errno;
        return errno switch
        {
            LibC.ESRCH => false,
            LibC.EPERM => throw new UnauthorizedAccessException($"not permitted to signal pid {Pid}"),
            _ => throw new IOException($"pidfd_send_signal({Pid}, {signal}) failed: errno {errno}"),
        };
    }

    /// <summary>Waits for the child to exit and reaps it.</summary>
    public async Task<WaitStatus> WaitForExitAsync(CancellationToken ct = default)
    {
        while (true)
        {
            if (TryReap() is { } status)
                return status;
            await FdPoller.Shared.WaitAsync((int)handle, LibC.EPOLLIN, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Reaps the child if it has exited; null while it runs.</summary>
    public unsafe WaitStatus? TryReap()
    {
        byte* info = stackalloc byte[LibC.SigInfoSize];
        new Span<byte>(info, LibC.SigInfoSize).Clear();
        if (LibC.WaitId(LibC.P_PIDFD, (int)handle, info, LibC.WEXITED | LibC.WNOHANG) != 0)
        {
            var errno = LibC.Errno;
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
    protected override bool ReleaseHandle()
    {
        FdPoller.Shared.Remove((int)handle);
        return LibC.Close((int)handle) == 0;
    }
}
