using System.Globalization;
using Ssi.Ics;
using Ssi.Posix;
using Ssi.Vproc.Native;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Service;

/// <summary>
/// The caller's own stdin, stdout and stderr, taken over by the origin for a job on another
/// node (pidfd_getfd): the relay then reads and writes them directly, and the bytes no longer
/// pass through <c>ssi run</c> and its socket, two copies fewer each way. Only pipes (and
/// /dev/null for output) are taken, each through a description of the origin's own opened
/// from /proc/self/fd so that making it non-blocking changes nothing for the caller's other
/// processes; terminals, files and sockets stay with <c>ssi run</c>.
/// </summary>
internal sealed class CallerStdio : IDisposable
{
    private CallerStdio(AsyncFd? input, AsyncFd? output, AsyncFd? error)
    {
        Input = input;
        Output = output;
        Error = error;
    }

    /// <summary>Nothing taken: all stdio goes through the client stream.</summary>
    public static CallerStdio None { get; } = new(null, null, null);

    /// <summary>The caller's stdin, when taken.</summary>
    public AsyncFd? Input { get; }

    /// <summary>The caller's stdout, when taken.</summary>
    public AsyncFd? Output { get; }

    /// <summary>The caller's stderr, when taken.</summary>
    public AsyncFd? Error { get; }

    /// <summary>What was taken, in <see cref="StdioBits"/>.</summary>
    public byte Taken => (byte)((Input is null ? 0 : StdioBits.Stdin) | (Output is null ? 0 : StdioBits.Stdout) | (Error is null ? 0 : StdioBits.Stderr));

    /// <summary>
    /// Takes what of <paramref name="offered"/> can be taken from <paramref name="peer"/>; the
    /// rest (or everything, when the caller is gone or is not plainly the connection's user)
    /// stays with the client.
    /// </summary>
    public static CallerStdio Take(PeerIdentity peer, byte offered) => Take(peer, offered, (0, 1, 2));

    /// <summary><see cref="Take(PeerIdentity, byte)"/> with other descriptor numbers standing for 0, 1 and 2 (tests).</summary>
    internal static CallerStdio Take(PeerIdentity peer, byte offered, (int Stdin, int Stdout, int Stderr) descriptors)
    {
        if (offered == 0 || peer.Caller is not { } caller || peer.Uid is not { } uid)
            return None;
        var pidfd = caller.OpenPidfd();
        if (pidfd < 0)
            return None;
        try
        {
            if (peer.Pid is not { } pid || !RunsAs(pidfd, pid, uid))
                return None;
            return new CallerStdio(
                (offered & StdioBits.Stdin) != 0 ? TakeOne(pidfd, descriptors.Stdin, LibC.O_RDONLY) : null,
                (offered & StdioBits.Stdout) != 0 ? TakeOne(pidfd, descriptors.Stdout, LibC.O_WRONLY) : null,
                (offered & StdioBits.Stderr) != 0 ? TakeOne(pidfd, descriptors.Stderr, LibC.O_WRONLY) : null);
        }
        finally
        {
            Syscall.Close(pidfd);
        }
    }

    // The caller still runs with the connection's uid as every one of its ids (a set-uid
    // program it went on to exec keeps its descriptors to itself), and has not exited since:
    // then /proc/PID was the pidfd's process, not a later one that reused the pid.
    private static unsafe bool RunsAs(int pidfd, int pid, uint uid)
    {
        try
        {
            var ids = Field(Jobs.ProcFs.ReadSmall($"/proc/{pid}/status").Split('\n'), "Uid:");
            if (ids is null || (uid != 0 && ids.Any(id => id != uid)))
                return false;
            return LibC.PidfdSendSignal(pidfd, 0, null, 0) == 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static long[]? Field(string[] lines, string name)
    {
        var line = lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        return line?[name.Length..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)
            .Select(v => long.Parse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)).ToArray();
    }

    // One of the caller's descriptors, if it is open for `access` and is a pipe (or /dev/null for output).
    private static unsafe AsyncFd? TakeOne(int pidfd, int target, int access)
    {
        var fd = LibC.PidfdGetFd(pidfd, target, 0);
        if (fd < 0)
            return null;
        try
        {
            var mode = LibC.Fcntl(fd, LibC.F_GETFL, 0) & LibC.O_ACCMODE;
            if (mode != access && mode != LibC.O_RDWR)
                return null;
            var stat = stackalloc byte[LibC.StatxSize];
            if (LibC.Statx(fd, "", LibC.AT_EMPTY_PATH, LibC.STATX_TYPE, stat) != 0)
                return null;
            var type = *(ushort*)(stat + 28) & LibC.S_IFMT;
            var isNull = type == LibC.S_IFCHR && *(uint*)(stat + 128) == 1 && *(uint*)(stat + 132) == 3;
            if (type != LibC.S_IFIFO && !(isNull && access == LibC.O_WRONLY))
                return null;
            // A description of our own: O_NONBLOCK on the caller's would reach every process sharing it.
            var own = LibC.Open($"/proc/self/fd/{fd}", access | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
            return own < 0 ? null : new AsyncFd(own);
        }
        finally
        {
            Syscall.Close(fd);
        }
    }

    /// <summary>Closes what was taken: readers of the caller's output see its end once <c>ssi run</c> exits too.</summary>
    public void Dispose()
    {
        Input?.Dispose();
        Output?.Dispose();
        Error?.Dispose();
    }
}
