using System.Collections.Concurrent;
using Ssi.Posix;

namespace Ssi.Box.Native;

/// <summary>
/// Starts a program in a new session with <c>posix_spawn</c> (safe in a multithreaded .NET
/// process, unlike fork), stdin from /dev/null and stdout/stderr appended to a log file, no
/// inherited descriptors beyond those three, default signal dispositions and an empty mask.
/// </summary>
internal static class DetachedProcess
{
    // Children we spawned, so that they can be reaped once they exit. Only exact pidfds are
    // waited on: the .NET runtime forbids waitpid(-1) in a process that uses Process.
    private static readonly ConcurrentDictionary<int, Pidfd> s_children = new();

    /// <summary>Spawns <paramref name="argv"/> (argv[0] looked up in PATH) and returns its pid.</summary>
    public static int Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, string logFile)
    {
        try
        {
            int pid;
            using (var spawn = new PosixSpawn())
            {
                spawn.Open(0, "/dev/null", LibC.O_RDONLY);
                spawn.Open(1, logFile, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND,
                    UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                spawn.Dup2(1, 2);
                spawn.CloseFrom(3);
                spawn.NewSessionWithDefaultSignals();
                pid = spawn.Start(argv, [.. environment.Select(kv => $"{kv.Key}={kv.Value}")], searchPath: true);
            }
            if (Pidfd.Open(pid) is { } pidfd)
                s_children[pid] = pidfd;
            return pid;
        }
        catch (IOException e)
        {
            throw new BoxException(e.Message, e);
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
                try
                {
                    pidfd.TryReap();
                }
                catch (IOException)
                {
                    // Reaped already by someone else (ECHILD): nothing is left to collect.
                }
                pidfd.Dispose();
            }
        }
    }
}
