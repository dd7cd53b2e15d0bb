using System.Text;
using Ssi.Posix;
using Ssi.Vproc.Native;

namespace Ssi.Vproc.Jobs;

/// <summary>
/// An <c>ssi-init --await</c> started ahead of need: PID 1 of its own fresh namespace and
/// leader of its own session, waiting on a SOCK_SEQPACKET socket for one job (the message
/// format is described in Shim/ssi-init.c). It exits when its socket closes unused.
/// </summary>
internal sealed class WarmShim : IDisposable
{
    // A job message bigger than a socket buffer goes the cold way (posix_spawn): about 200 KiB.
    private const int MaxMessage = 192 * 1024;

    private readonly ProcessHandle _handle;
    private int _control;

    private WarmShim(ProcessHandle handle, int control)
    {
        _handle = handle;
        _control = control;
    }

    /// <summary>The waiting shim's pid (in the daemon's namespace).</summary>
    public int Pid => _handle.Pid;

    /// <summary>Completes if the shim dies while it waits (killed by hand, say); cancel it before handing a job.</summary>
    public Task WhenDiedAsync(CancellationToken ct) => _handle.WhenExitedAsync(ct);

    /// <summary>Starts a shim that waits for a job.</summary>
    public static async Task<WarmShim> StartAsync(InitShim shim)
    {
        var (control, theirs) = SocketPair();
        try
        {
            var handle = await Spawn.StartAsync(new SpawnOptions
            {
                Arguments = [shim.Path, "--await"], Environment = [], Stdin = theirs, NewPidNamespace = true,
            }).ConfigureAwait(false);
            return new WarmShim(handle, control);
        }
        catch
        {
            Syscall.Close(control);
            throw;
        }
        finally
        {
            Syscall.Close(theirs);
        }
    }

    private static unsafe (int Ours, int Theirs) SocketPair()
    {
        int* fds = stackalloc int[2];
        if (LibC.SocketPair(LibC.AF_UNIX, LibC.SOCK_SEQPACKET | LibC.SOCK_CLOEXEC, 0, fds) != 0)
            throw new IOException($"socketpair failed: errno {LibC.Errno}");
        return (fds[0], fds[1]);
    }

    /// <summary>
    /// The job's message, or null when it cannot go this way: a string with a NUL byte in it
    /// (it would end early and the rest would read as the shim's options), an environment
    /// string without '=' (an empty one would end the environment there, with the same effect),
    /// or too big a job.
    /// </summary>
    public static byte[]? Message(ShimJob job, uint daemonUid)
    {
        var options = InitShim.Options(job.Argv, job.Cgroup, job.Uid, job.Gid, job.Groups, daemonUid, job.WorkingDirectory, job.Terminal is not null);
        if (job.Environment.Concat(options).Any(s => s.Contains('\0', StringComparison.Ordinal))
            || job.Environment.Any(s => !s.Contains('=', StringComparison.Ordinal)))
            return null;
        var message = Encode(job.Environment, options);
        return message.Length <= MaxMessage ? message : null;
    }

    /// <summary>The environment, an empty string, then the shim's arguments after its name: each NUL-terminated.</summary>
    public static byte[] Encode(IEnumerable<string> environment, IEnumerable<string> arguments)
    {
        var strings = environment.Append("").Concat(arguments).ToList();
        var message = new byte[strings.Sum(s => Encoding.UTF8.GetByteCount(s) + 1)];
        var at = 0;
        foreach (var s in strings)
        {
            at += Encoding.UTF8.GetBytes(s, message.AsSpan(at));
            message[at++] = 0;
        }
        return message;
    }

    /// <summary>
    /// Hands the job over with its stdio (<paramref name="stdio"/>: 0, 1 and 2); the handle is
    /// then the job's. Null when the shim did not take it (it died
    /// meanwhile): this one is then spent.
    /// </summary>
    public unsafe ProcessHandle? Hand(byte[] message, ReadOnlySpan<int> stdio)
    {
        if (stdio.Length != 3)
            throw new ArgumentException("a job has three stdio descriptors", nameof(stdio));
        var rights = stackalloc byte[16 + 3 * sizeof(int)];
        var rightsHeader = (LibC.ControlMessageHeader*)rights;
        rightsHeader->Length = (nuint)(16 + stdio.Length * sizeof(int));
        rightsHeader->Level = LibC.SOL_SOCKET;
        rightsHeader->Type = LibC.SCM_RIGHTS;
        for (var i = 0; i < stdio.Length; i++)
            ((int*)(rights + 16))[i] = stdio[i];
        fixed (byte* bytes = message)
        {
            var vector = new LibC.IoVector { Base = bytes, Length = (nuint)message.Length };
            var header = new LibC.MessageHeader
            {
                Vectors = &vector,
                VectorCount = 1,
                Control = rights,
                ControlLength = rightsHeader->Length,
            };
            nint sent;
            while ((sent = LibC.SendMsg(_control, &header, LibC.MSG_NOSIGNAL)) < 0 && LibC.Errno == LibC.EINTR)
            {
            }
            if (sent != message.Length)
                return null;
        }
        Syscall.Close(_control);
        _control = -1;
        return _handle;
    }

    /// <summary>Lets an unused shim go: its socket closes (it exits) and it is reaped.</summary>
    public void Dispose()
    {
        if (_control < 0)
            return;
        Syscall.Close(_control);
        _control = -1;
        _handle.Signal(LibC.SIGKILL);
        _ = ReapAsync(_handle);
    }

    private static async Task ReapAsync(ProcessHandle handle)
    {
        using (handle)
            await handle.WaitForExitAsync().ConfigureAwait(false);
    }
}
