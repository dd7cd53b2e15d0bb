using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace Ssi.Box.Native;

/// <summary>
/// Starts a program in a new session with <c>posix_spawn</c> (safe in a multithreaded .NET
/// process, unlike fork), stdin from /dev/null and stdout/stderr appended to a log file, no
/// inherited descriptors beyond those three, default signal dispositions and an empty mask.
/// </summary>
internal static unsafe class DetachedProcess
{
    // Children we spawned, so that they can be reaped once they exit. Only exact pidfds are
    // waited on: the .NET runtime forbids waitpid(-1) in a process that uses Process.
    private static readonly ConcurrentDictionary<int, Pidfd> s_children = new();

    /// <summary>Spawns <paramref name="argv"/> (argv[0] looked up in PATH) and returns its pid.</summary>
    public static int Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, string logFile)
    {
        var arena = new List<IntPtr>();
        byte* fileActions = (byte*)NativeMemory.AllocZeroed(LibC.SpawnFileActionsSize);
        byte* attr = (byte*)NativeMemory.AllocZeroed(LibC.SpawnAttrSize);
        byte* sigset = (byte*)NativeMemory.AllocZeroed(LibC.SigSetSize);
        try
        {
            Check(LibC.SpawnFileActionsInit(fileActions), "posix_spawn_file_actions_init");
            Check(LibC.SpawnFileActionsAddOpen(fileActions, 0, Utf8(arena, "/dev/null"), LibC.O_RDONLY, 0), "addopen stdin");
            Check(LibC.SpawnFileActionsAddOpen(fileActions, 1, Utf8(arena, logFile),
                LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND, 0b110_100_100), "addopen log");
            Check(LibC.SpawnFileActionsAddDup2(fileActions, 1, 2), "adddup2 stderr");
            Check(LibC.SpawnFileActionsAddCloseFrom(fileActions, 3), "addclosefrom");

            Check(LibC.SpawnAttrInit(attr), "posix_spawnattr_init");
            Check(LibC.SpawnAttrSetFlags(attr,
                LibC.POSIX_SPAWN_SETSID | LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF), "setflags");
            LibC.SigEmptySet(sigset);
            Check(LibC.SpawnAttrSetSigMask(attr, sigset), "setsigmask");
            LibC.SigFillSet(sigset);
            Check(LibC.SpawnAttrSetSigDefault(attr, sigset), "setsigdefault");

            byte** args = PointerArray(arena, argv);
            byte** envp = PointerArray(arena, environment.Select(kv => $"{kv.Key}={kv.Value}").ToList());
            int error = LibC.PosixSpawnP(out int pid, args[0], fileActions, attr, args, envp);
            if (error != 0)
                throw new BoxException($"cannot start {argv[0]}: posix_spawn failed with errno {error}");

            if (Pidfd.Open(pid) is { } pidfd)
                s_children[pid] = pidfd;
            return pid;
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

    /// <summary>The pidfd of a child we spawned, if it has not been reaped yet.</summary>
    public static Pidfd? TryGetChild(int pid) => s_children.TryGetValue(pid, out var pidfd) ? pidfd : null;

    /// <summary>Reaps every child we spawned that has exited.</summary>
    public static void ReapExited()
    {
        foreach (var (pid, pidfd) in s_children)
        {
            if (pidfd.HasExited && s_children.TryRemove(pid, out _))
            {
                pidfd.TryReap();
                pidfd.Dispose();
            }
        }
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
            throw new BoxException($"posix_spawn setup failed at {what}: errno {result}");
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
