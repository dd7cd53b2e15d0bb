using System.Buffers;
using Ssi.Ics;
using Ssi.Posix;
using Ssi.Vproc.Native;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Jobs;

/// <summary>
/// A cluster job running on this node: its program under the init shim in a PID namespace
/// and a cgroup of its own, its stdio as pipes (or a pty) owned by the daemon. Output goes to
/// the attached client stream when there is one, else into a small ring that the next
/// <c>ssi attach</c> replays first.
/// </summary>
internal sealed partial class Job
{
    private const int RingBytes = 64 * 1024;
    private const int ChunkBytes = 128 * 1024;

    private readonly SemaphoreSlim _output = new(1, 1);
    // A run's client and an attached one may both type into a pty.
    private readonly SemaphoreSlim _stdinWriter = new(1, 1);
    private readonly Queue<(OutputKind Kind, byte[] Data)> _ring = new();
    private readonly TaskCompletionSource<ExitInfo> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Output is not read before the first client attaches (or the job is known to be detached),
    // so that nothing a short-lived program writes is lost to the ring.
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ProcessHandle _shim;
    private readonly AsyncFd? _stdin;
    private readonly int _ptyMaster = -1;
    private int _ringBytes;
    private long _lastOutput = Environment.TickCount64;
    private int _delivering;
    private IcsStream? _sink;

    private Job(ExecRequest request, int node, ProcessHandle shim, JobCgroup cgroup, AsyncFd? stdin, int ptyMaster)
    {
        Request = request;
        Node = node;
        Cpid = new ClusterPid(request.Cpid);
        _shim = shim;
        Cgroup = cgroup;
        _stdin = stdin;
        _ptyMaster = ptyMaster;
    }

    /// <summary>What was asked.</summary>
    public ExecRequest Request { get; }

    /// <summary>The job's cluster PID (its program's).</summary>
    public ClusterPid Cpid { get; }

    /// <summary>This node.</summary>
    public int Node { get; }

    /// <summary>The job's cgroup.</summary>
    public JobCgroup Cgroup { get; }

    /// <summary>When it started.</summary>
    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    /// <summary>Completes with the exit status once the program ended and its output was delivered (or kept).</summary>
    public Task<ExitInfo> Exited => _exited.Task;

    /// <summary>The shim's pid on this node (PID 1 of the job's namespace).</summary>
    public int ShimPid => _shim.Pid;

    /// <summary>True when a client is attached.</summary>
    public bool IsAttached => Volatile.Read(ref _sink) is not null;

    /// <summary>Starts the program of <paramref name="request"/>; the caller handles errors (not found, cannot run).</summary>
    public static async Task<Job> StartAsync(ExecRequest request, int node, ShimLauncher launcher, CgroupTree cgroups, string socket)
    {
        var cpid = new ClusterPid(request.Cpid);
        var env = JobEnvironment.Build(request.Environment, request.Uid == 0, cpid, request.Group, node, socket);
        if (JobEnvironment.Resolve(request.Argv[0], env) is null)
            throw new FileNotFoundException($"{request.Argv[0]}: command not found on node {node}");
        // No check of the directory here: the shim enters it as the caller and says so when it
        // cannot (also when it is missing), and a stat from the daemon of a path under its own
        // /cluster mount would be a request to itself.
        var cwd = request.WorkingDirectory;
        var cgroup = cgroups.Job(cpid);
        // Made before the start: the program is born in it (see Shim/ssi-init.c), never moved.
        cgroup.Make();
        var job = new ShimJob(request.Argv, env, cwd, cgroup.Path, request.Uid, request.Gid, request.Groups);

        int stdinRead = -1, stdinWrite = -1, outRead = -1, outWrite = -1, errRead = -1, errWrite = -1, master = -1;
        try
        {
            ProcessHandle handle;
            if (request.Tty)
            {
                (master, var slave) = Pipes.OpenPty(request.Rows, request.Cols);
                handle = await launcher.StartAsync(job with { Terminal = slave }).ConfigureAwait(false);
            }
            else
            {
                if (!request.Detach)
                    (stdinRead, stdinWrite) = Pipes.Create();
                (outRead, outWrite) = Pipes.Create();
                (errRead, errWrite) = Pipes.Create();
                handle = await launcher.StartAsync(job with { Stdin = stdinRead, Stdout = outWrite, Stderr = errWrite }).ConfigureAwait(false);
                Pipes.Close(ref stdinRead);
                Pipes.Close(ref outWrite);
                Pipes.Close(ref errWrite);
            }

            AsyncFd? stdin = null;
            if (request.Tty)
            {
                stdin = new AsyncFd(LibC.Dup(master));
            }
            else if (stdinWrite >= 0)
            {
                stdin = new AsyncFd(stdinWrite);
                stdinWrite = -1;
            }
            var started = new Job(request, node, handle, cgroup, stdin, master);
            if (request.Detach)
                started._gate.TrySetResult();
            var pumps = request.Tty
                ? [started.PumpAsync(new AsyncFd(LibC.Dup(master)), OutputKind.Stdout)]
                : new[] { started.PumpAsync(new AsyncFd(outRead), OutputKind.Stdout), started.PumpAsync(new AsyncFd(errRead), OutputKind.Stderr) };
            outRead = errRead = -1;
            _ = started.WatchAsync(pumps);
            return started;
        }
        catch
        {
            Pipes.Close(ref stdinRead);
            Pipes.Close(ref stdinWrite);
            Pipes.Close(ref outRead);
            Pipes.Close(ref outWrite);
            Pipes.Close(ref errRead);
            Pipes.Close(ref errWrite);
            Pipes.Close(ref master);
            throw;
        }
    }

    /// <summary>
    /// Makes <paramref name="sink"/> the job's output: the kept ring is replayed first. If the
    /// job has ended, the exit frame follows and the stream is completed.
    /// </summary>
    public async Task AttachAsync(IcsStream sink, CancellationToken ct)
    {
        await _output.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            foreach (var (kind, data) in _ring)
                await OutputFrames.WriteAsync(sink, kind, data, ct).ConfigureAwait(false);
            _ring.Clear();
            _ringBytes = 0;
            if (_exited.Task.IsCompleted)
            {
                await FinishAsync(sink, await _exited.Task.ConfigureAwait(false)).ConfigureAwait(false);
                return;
            }
            Volatile.Write(ref _sink, sink);
        }
        finally
        {
            _gate.TrySetResult();
            _output.Release();
        }
    }

    /// <summary>Stops sending output to <paramref name="sink"/> (its client went away); output is kept in the ring again.</summary>
    public void Detach(IcsStream sink)
    {
        Interlocked.CompareExchange(ref _sink, null, sink);
        _gate.TrySetResult();
    }

    /// <summary>
    /// Copies what the client sends into the program's stdin; closes stdin at the client's end of
    /// input if asked. A failure to read the client means it is gone (the exception propagates);
    /// a failure to write means the program closed its stdin or ended: the rest is not read, as
    /// with a pipe whose reader went away.
    /// </summary>
    public async Task PumpStdinAsync(Stream from, bool closeAtEnd, CancellationToken ct)
    {
        if (_stdin is null)
            return;
        var buffer = ArrayPool<byte>.Shared.Rent(IcsStream.ChunkSize);
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0)
                    break;
                await _stdinWriter.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    await _stdin.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    return;
                }
                finally
                {
                    _stdinWriter.Release();
                }
            }
            if (closeAtEnd && !Request.Tty)
                _stdin.Dispose();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Sets the size of the job's pty (no-op without one).</summary>
    public void Resize(ushort rows, ushort cols)
    {
        if (_ptyMaster >= 0 && !_exited.Task.IsCompleted)
            Pipes.Resize(_ptyMaster, rows, cols);
    }

    private async Task PumpAsync(AsyncFd from, OutputKind kind)
    {
        await _gate.Task.ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(OutputFrames.HeaderSize + ChunkBytes);
        try
        {
            while (true)
            {
                int n;
                try
                {
                    n = await from.ReadAsync(buffer.AsMemory(OutputFrames.HeaderSize)).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    break;
                }
                if (n == 0)
                    break;
                Interlocked.Increment(ref _delivering);
                await DeliverAsync(kind, buffer, n).ConfigureAwait(false);
                Interlocked.Decrement(ref _delivering);
                Volatile.Write(ref _lastOutput, Environment.TickCount64);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            from.Dispose();
        }
    }

    // The output lock keeps frames whole and ordered, and makes attach-and-replay atomic.
    private async Task DeliverAsync(OutputKind kind, byte[] frame, int length)
    {
        var data = frame.AsMemory(OutputFrames.HeaderSize, length);
        await _output.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _sink) is { } sink)
            {
                try
                {
                    await sink.WriteAsync(OutputFrames.Frame(frame, kind, length)).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
                {
                    Detach(sink);
                }
            }
            _ring.Enqueue((kind, data.ToArray()));
            _ringBytes += data.Length;
            while (_ringBytes > RingBytes && _ring.Count > 1)
                _ringBytes -= _ring.Dequeue().Data.Length;
        }
        finally
        {
            _output.Release();
        }
    }

    private async Task WatchAsync(Task[] pumps)
    {
        var status = await _shim.WaitForExitAsync().ConfigureAwait(false);
        _stdin?.Dispose();
        // A program that ended before its client attached (a short one, on a busy node) left
        // its output in the pipes: it waits there for the client, not in the bounded ring.
        // Every start ends in an attach or a detach, either of which opens the gate.
        await _gate.Task.ConfigureAwait(false);
        // PID 1 gone means the namespace is gone, and with it every writer of the pipes: what
        // is left in them is delivered. Only a descriptor passed outside the job could keep them
        // open, hence the bound on a pipe that stays silent, counted from now at the earliest:
        // a program silent for a while that wrote its last burst and ended loses none of it.
        Volatile.Write(ref _lastOutput, Environment.TickCount64);
        var drained = Task.WhenAll(pumps);
        while (!drained.IsCompleted && (Volatile.Read(ref _delivering) > 0 || Environment.TickCount64 - Volatile.Read(ref _lastOutput) < 5000))
            await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        if (_ptyMaster >= 0)
            Syscall.Close(_ptyMaster);
        _shim.Dispose();
        var exit = new ExitInfo(status.Code, status.Signal, null);
        await _output.WaitAsync().ConfigureAwait(false);
        try
        {
            // The exit frame goes out before anyone waiting on the exit ends the stream.
            if (Interlocked.Exchange(ref _sink, null) is { } sink)
                await FinishAsync(sink, exit).ConfigureAwait(false);
            _exited.TrySetResult(exit);
        }
        finally
        {
            _output.Release();
        }
        // Off the exit path: the kernel may take a moment to mark the emptied cgroup removable.
        await Cgroup.RemoveAsync().ConfigureAwait(false);
    }

    private static async Task FinishAsync(IcsStream sink, ExitInfo exit)
    {
        try
        {
            await OutputFrames.WriteAsync(sink, OutputKind.Exit, OutputFrames.Json(exit, VprocJson.Default.ExitInfo)).ConfigureAwait(false);
            await sink.CompleteWritesAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
