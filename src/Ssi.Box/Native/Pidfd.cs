using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Ssi.Box.Native;

/// <summary>
/// A pidfd: a handle on one process that cannot be confused with a later process that reuses
/// its pid. Used to signal, to wait for exit (it polls readable when the process exits, for
/// children and non-children alike) and to reap our own children without <c>waitpid(-1)</c>.
/// </summary>
internal sealed class Pidfd : SafeHandleMinusOneIsInvalid
{
    private Pidfd(int fd) : base(ownsHandle: true) => SetHandle(fd);

    public int Pid { get; private init; }

    /// <summary>Opens a pidfd on <paramref name="pid"/>; null when no such process exists.</summary>
    public static Pidfd? Open(int pid)
    {
        int fd = LibC.PidfdOpen(pid, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.ESRCH)
                return null;
            throw new BoxException($"pidfd_open({pid}) failed: errno {errno}");
        }
        return new Pidfd(fd) { Pid = pid };
    }

    /// <summary>Sends <paramref name="signal"/>; false when the process has already exited.</summary>
    public bool Signal(int signal)
    {
        if (SendSignal(signal) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == LibC.ESRCH)
            return false;
        throw new BoxException($"pidfd_send_signal({Pid}, {signal}) failed: errno {errno}");
    }

    /// <summary>True once the process has exited (it may still be an unreaped zombie).</summary>
    public unsafe bool HasExited
    {
        get
        {
            var pfd = new LibC.PollFd { Fd = Fd, Events = LibC.POLLIN };
            return LibC.Poll(&pfd, 1, 0) > 0 && (pfd.Revents & LibC.POLLIN) != 0;
        }
    }

    /// <summary>Waits until the process exits; false on timeout.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!HasExited)
        {
            if (Environment.TickCount64 > deadline)
                return false;
            await Task.Delay(10, cancellationToken);
        }
        return true;
    }

    /// <summary>
    /// Collects the exit status if the process is our child and has exited, so it does not stay
    /// a zombie. Harmless (ECHILD) for processes that are not our children.
    /// </summary>
    public unsafe void TryReap()
    {
        byte* info = stackalloc byte[LibC.SigInfoSize];
        LibC.WaitId(LibC.P_PIDFD, Fd, info, LibC.WEXITED | LibC.WNOHANG);
    }

    private unsafe int SendSignal(int signal) => LibC.PidfdSendSignal(Fd, signal, null, 0);

    private int Fd => (int)handle;

    protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;
}
