using Ssi.Posix;

namespace Ssi.Vproc.Native;

/// <summary>What <see cref="Spawn.StartAsync"/> starts.</summary>
internal sealed class SpawnOptions
{
    /// <summary>argv; argv[0] must be an absolute path (no PATH search here).</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>The environment, as KEY=VALUE.</summary>
    public required IReadOnlyList<string> Environment { get; init; }

    /// <summary>Working directory, or null to keep the daemon's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Descriptors that become the child's 0, 1 and 2 (ignored when <see cref="Terminal"/> is set).</summary>
    public int Stdin { get; init; } = -1;

    /// <inheritdoc cref="Stdin"/>
    public int Stdout { get; init; } = -1;

    /// <inheritdoc cref="Stdin"/>
    public int Stderr { get; init; } = -1;

    /// <summary>A pty slave path: opened as 0, 1, 2 after setsid, so it becomes the controlling terminal.</summary>
    public string? Terminal { get; init; }

    /// <summary>Start the child as PID 1 of a new PID namespace (needs CAP_SYS_ADMIN).</summary>
    public bool NewPidNamespace { get; init; }
}

/// <summary>
/// posix_spawn into a new session with default signal dispositions and an empty mask, no
/// descriptors inherited beyond 0-2. Safe in a multithreaded .NET process, unlike fork.
/// </summary>
internal static class Spawn
{
    private static readonly System.Collections.Concurrent.BlockingCollection<(SpawnOptions Options, TaskCompletionSource<ProcessHandle> Done)> s_inNewNamespace = [];
    private static readonly Lazy<Thread> s_namespaceThread = new(() =>
    {
        var thread = new Thread(SpawnInNewNamespaces) { IsBackground = true, Name = "vproc-spawn-pidns" };
        thread.Start();
        return thread;
    });

    /// <summary>Starts the child and returns a handle on it.</summary>
    public static Task<ProcessHandle> StartAsync(SpawnOptions options)
    {
        if (!options.NewPidNamespace)
            return Task.FromResult(StartHere(options));
        _ = s_namespaceThread.Value;
        // The job's start goes on on the spawning thread (it is back in its own namespace by
        // then) up to its first wait: one wake-up of a pool thread less on every job's start.
        var done = new TaskCompletionSource<ProcessHandle>();
        s_inNewNamespace.Add((options, done));
        return done.Task;
    }

    // unshare(CLONE_NEWPID) changes only the calling thread's namespace for children, and
    // glibc's posix_spawn (CLONE_VM|CLONE_VFORK, no CLONE_SIGHAND) may enter it: the child is
    // PID 1 of a fresh namespace, with no fork of this multithreaded runtime. One thread does
    // it for every spawn, and goes back to its own namespace right after: the kernel refuses
    // to create threads (CLONE_THREAD) from a thread whose children would land elsewhere.
    private static void SpawnInNewNamespaces()
    {
        var own = File.OpenHandle("/proc/thread-self/ns/pid");
        foreach (var (options, done) in s_inNewNamespace.GetConsumingEnumerable())
        {
            ProcessHandle? handle = null;
            Exception? error = null;
            try
            {
                if (LibC.Unshare(LibC.CLONE_NEWPID) != 0)
                    throw new IOException($"unshare(CLONE_NEWPID) failed: errno {LibC.Errno} (cluster processes need root)");
                handle = StartHere(options);
            }
            catch (Exception e)
            {
                error = e;
            }
            finally
            {
                if (Syscall.SetNs((int)own.DangerousGetHandle(), LibC.CLONE_NEWPID) != 0)
                    Environment.FailFast($"vproc: cannot return the spawning thread to its PID namespace: errno {LibC.Errno}");
            }
            if (error is null)
                done.TrySetResult(handle!);
            else
                done.TrySetException(error);
        }
    }

    private static ProcessHandle StartHere(SpawnOptions options)
    {
        using var spawn = new PosixSpawn();
        if (options.Terminal is { } tty)
        {
            // Opened after setsid and without O_NOCTTY: the session acquires it as its terminal.
            spawn.Open(0, tty, LibC.O_RDWR);
            spawn.Dup2(0, 1);
            spawn.Dup2(0, 2);
        }
        else
        {
            AddStdio(spawn, options.Stdin, 0, LibC.O_RDONLY);
            AddStdio(spawn, options.Stdout, 1, LibC.O_RDWR);
            AddStdio(spawn, options.Stderr, 2, LibC.O_RDWR);
        }
        if (options.WorkingDirectory is { } cwd)
            spawn.Chdir(cwd);
        spawn.CloseFrom(3);
        spawn.NewSessionWithDefaultSignals();

        int pid = spawn.Start(options.Arguments, options.Environment, searchPath: false);
        return ProcessHandle.Open(pid) ?? throw new IOException($"{options.Arguments[0]} (pid {pid}) vanished before it could be tracked");
    }

    private static void AddStdio(PosixSpawn spawn, int fd, int target, int nullFlags)
    {
        if (fd >= 0)
            spawn.Dup2(fd, target);
        else
            spawn.Open(target, "/dev/null", nullFlags);
    }
}
