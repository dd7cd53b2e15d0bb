using System.Runtime.InteropServices;
using System.Text;

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
internal static unsafe class Spawn
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
        var done = new TaskCompletionSource<ProcessHandle>(TaskCreationOptions.RunContinuationsAsynchronously);
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
                if (LibC.SetNs((int)own.DangerousGetHandle(), LibC.CLONE_NEWPID) != 0)
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
        var arena = new List<IntPtr>();
        byte* fileActions = (byte*)NativeMemory.AllocZeroed(LibC.SpawnFileActionsSize);
        byte* attr = (byte*)NativeMemory.AllocZeroed(LibC.SpawnAttrSize);
        byte* sigset = (byte*)NativeMemory.AllocZeroed(LibC.SigSetSize);
        try
        {
            Check(LibC.SpawnFileActionsInit(fileActions), "posix_spawn_file_actions_init");
            if (options.Terminal is { } tty)
            {
                // Opened after setsid and without O_NOCTTY: the session acquires it as its terminal.
                Check(LibC.SpawnFileActionsAddOpen(fileActions, 0, Utf8(arena, tty), LibC.O_RDWR, 0), "addopen tty");
                Check(LibC.SpawnFileActionsAddDup2(fileActions, 0, 1), "adddup2 tty 1");
                Check(LibC.SpawnFileActionsAddDup2(fileActions, 0, 2), "adddup2 tty 2");
            }
            else
            {
                AddStdio(fileActions, arena, options.Stdin, 0, LibC.O_RDONLY);
                AddStdio(fileActions, arena, options.Stdout, 1, LibC.O_RDWR);
                AddStdio(fileActions, arena, options.Stderr, 2, LibC.O_RDWR);
            }
            if (options.WorkingDirectory is { } cwd)
                Check(LibC.SpawnFileActionsAddChdir(fileActions, Utf8(arena, cwd)), "addchdir");
            Check(LibC.SpawnFileActionsAddCloseFrom(fileActions, 3), "addclosefrom");

            Check(LibC.SpawnAttrInit(attr), "posix_spawnattr_init");
            Check(LibC.SpawnAttrSetFlags(attr, LibC.POSIX_SPAWN_SETSID | LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF), "setflags");
            LibC.SigEmptySet(sigset);
            Check(LibC.SpawnAttrSetSigMask(attr, sigset), "setsigmask");
            LibC.SigFillSet(sigset);
            Check(LibC.SpawnAttrSetSigDefault(attr, sigset), "setsigdefault");

            byte** argv = PointerArray(arena, options.Arguments);
            byte** envp = PointerArray(arena, options.Environment);
            int error = LibC.PosixSpawn(out int pid, argv[0], fileActions, attr, argv, envp);
            if (error != 0)
                throw new IOException($"cannot start {options.Arguments[0]}: posix_spawn failed with errno {error}");
            return ProcessHandle.Open(pid) ?? throw new IOException($"{options.Arguments[0]} (pid {pid}) vanished before it could be tracked");
        }
        finally
        {
            LibC.SpawnFileActionsDestroy(fileActions);
            LibC.SpawnAttrDestroy(attr);
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attr);
            NativeMemory.Free(sigset);
            foreach (var p in arena)
                NativeMemory.Free((void*)p);
        }
    }

    private static void AddStdio(byte* fileActions, List<IntPtr> arena, int fd, int target, int nullFlags)
    {
        if (fd >= 0)
            Check(LibC.SpawnFileActionsAddDup2(fileActions, fd, target), $"adddup2 {target}");
        else
            Check(LibC.SpawnFileActionsAddOpen(fileActions, target, Utf8(arena, "/dev/null"), nullFlags, 0), $"addopen /dev/null {target}");
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
            throw new IOException($"posix_spawn setup failed at {what}: errno {result}");
    }

    private static byte* Utf8(List<IntPtr> arena, string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        byte* p = (byte*)NativeMemory.Alloc((nuint)n + 1);
        arena.Add((IntPtr)p);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        p[n] = 0;
        return p;
    }

    private static byte** PointerArray(List<IntPtr> arena, IReadOnlyList<string> strings)
    {
        byte** array = (byte**)NativeMemory.AllocZeroed((nuint)(strings.Count + 1), (nuint)sizeof(byte*));
        arena.Add((IntPtr)array);
        for (int i = 0; i < strings.Count; i++)
            array[i] = Utf8(arena, strings[i]);
        return array;
    }
}
