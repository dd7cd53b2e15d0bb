using Ssi.Posix;
using Ssi.Vproc.Native;

namespace Ssi.Vproc.Jobs;

/// <summary>
/// Starts jobs under their init shim, keeping one shim started ahead of need (<see cref="WarmShim"/>):
/// a job then skips the new namespace's spawn and the shim's own start (about 0.3 ms of a short
/// remote run's 4-5 ms on a 2-core node), and the next shim is started while the job runs. A job
/// the waiting shim cannot take (none ready, a string with a NUL byte, a huge environment, a
/// shim that died) is spawned as before.
/// </summary>
internal sealed class ShimLauncher : IDisposable
{
    private readonly Lock _gate = new();
    private readonly bool _keepOneReady;
    private readonly uint _daemonUid = LibC.GetUid();
    private WarmShim? _ready;
    private CancellationTokenSource? _watch;
    private bool _filling;
    private bool _disposed;

    /// <summary>Starts jobs under <paramref name="shim"/>; without <paramref name="keepOneReady"/> every job is spawned cold.</summary>
    public ShimLauncher(InitShim shim, bool keepOneReady = true)
    {
        Shim = shim;
        _keepOneReady = keepOneReady;
        Refill();
    }

    /// <summary>The shim binary.</summary>
    public InitShim Shim { get; }

    /// <summary>The waiting shim's pid, if one is ready (tests).</summary>
    public int? ReadyPid
    {
        get
        {
            lock (_gate)
                return _ready?.Pid;
        }
    }

    /// <summary>Starts <paramref name="job"/>; the handle is on its shim, PID 1 of the job's namespace.</summary>
    public async Task<ProcessHandle> StartAsync(ShimJob job)
    {
        if (Take() is { } warm && Hand(warm, job) is { } handle)
        {
            Refill();
            return handle;
        }
        var spawned = Spawn.StartAsync(new SpawnOptions
        {
            Arguments = Shim.Wrap(job.Argv, job.Cgroup, job.Uid, job.Gid, job.Groups, _daemonUid, job.WorkingDirectory),
            Environment = job.Environment,
            Terminal = job.Terminal,
            Stdin = job.Stdin,
            Stdout = job.Stdout,
            Stderr = job.Stderr,
            NewPidNamespace = true,
        });
        // Also when none was ready: the last start ahead may have failed (a transient EAGAIN
        // under load, say), and without another try every later job would be spawned. Asked
        // after the job's own spawn, which the spawning thread then does first.
        Refill();
        return await spawned.ConfigureAwait(false);
    }

    // The job goes to the waiting shim, or the shim is let go and null says: spawn it.
    private ProcessHandle? Hand(WarmShim warm, ShimJob job)
    {
        if (WarmShim.Message(job, _daemonUid) is not { } message)
        {
            Keep(warm);
            return null;
        }
        int stdin = -1, stdout = -1, stderr = -1;
        try
        {
            ProcessHandle? handle;
            if (job.Terminal is { } terminal)
            {
                // The slave goes as the job's 0-2: in flight it stays open, so the master, read
                // from the moment this returns, never sees it closed before the shim has it.
                stdin = LibC.Open(terminal, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
                if (stdin < 0)
                    throw new IOException($"cannot open the job's terminal {terminal}: errno {LibC.Errno}");
                handle = warm.Hand(message, [stdin, stdin, stdin]);
            }
            else
            {
                // What the job has no descriptor for is /dev/null, as posix_spawn's path makes it.
                handle = warm.Hand(message,
                [
                    job.Stdin >= 0 ? job.Stdin : stdin = DevNull(),
                    job.Stdout >= 0 ? job.Stdout : stdout = DevNull(),
                    job.Stderr >= 0 ? job.Stderr : stderr = DevNull(),
                ]);
            }
            if (handle is null)
                warm.Dispose();
            return handle;
        }
        catch (IOException)
        {
            Keep(warm);
            throw;
        }
        finally
        {
            Pipes.Close(ref stdin);
            Pipes.Close(ref stdout);
            Pipes.Close(ref stderr);
        }
    }

    private static int DevNull()
    {
        var fd = LibC.Open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC);
        return fd >= 0 ? fd : throw new IOException($"cannot open /dev/null: errno {LibC.Errno}");
    }

    private WarmShim? Take()
    {
        lock (_gate)
        {
            var warm = _ready;
            _ready = null;
            StopWatching();
            return warm;
        }
    }

    // A shim the job could not use waits for the next one.
    private void Keep(WarmShim warm)
    {
        lock (_gate)
        {
            if (!_disposed && _ready is null)
            {
                MakeReady(warm);
                return;
            }
        }
        warm.Dispose();
    }

    // Under _gate. A waiting shim that dies is reaped and replaced at once, not found dead by
    // the next job (which would then be spawned) with a zombie kept until then.
    private void MakeReady(WarmShim warm)
    {
        _ready = warm;
        _watch = new CancellationTokenSource();
        _ = ReplaceWhenDeadAsync(warm, _watch.Token);
    }

    private void StopWatching()
    {
        _watch?.Cancel();
        _watch?.Dispose();
        _watch = null;
    }

    private async Task ReplaceWhenDeadAsync(WarmShim warm, CancellationToken ct)
    {
        try
        {
            await warm.WhenDiedAsync(ct).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Taken for a job (cancelled), or the poller could not watch it: the job finds out.
            return;
        }
        lock (_gate)
        {
            if (_ready != warm)
                return;
            _ready = null;
            StopWatching();
        }
        warm.Dispose();
        Refill();
    }

    private void Refill()
    {
        lock (_gate)
        {
            if (!_keepOneReady || _disposed || _ready is not null || _filling)
                return;
            _filling = true;
        }
        _ = FillAsync();
    }

    private async Task FillAsync()
    {
        WarmShim? warm = null;
        try
        {
            warm = await WarmShim.StartAsync(Shim).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // No shim ahead (no right to make namespaces, say): jobs are then spawned, and the
            // spawn reports what is wrong to the job's caller.
        }
        lock (_gate)
        {
            _filling = false;
            if (warm is null)
                return;
            if (!_disposed && _ready is null)
            {
                MakeReady(warm);
                warm = null;
            }
        }
        warm?.Dispose();
    }

    /// <summary>Lets the waiting shim go.</summary>
    public void Dispose()
    {
        WarmShim? warm;
        lock (_gate)
        {
            _disposed = true;
            warm = _ready;
            _ready = null;
            StopWatching();
        }
        warm?.Dispose();
    }
}
