using System.Globalization;
using Ssi.Posix;

namespace Ssi.Box.Native;

/// <summary>
/// Finds and ends the processes that live in a set of namespaces, by scanning /proc: the same
/// way <c>ip netns pids</c> does, extended to mount namespaces. This catches every process a
/// box started, including the children and grandchildren its node processes spawned.
/// </summary>
internal static class NamespaceMembers
{
    /// <summary>Pids of live (non-zombie) processes whose network or mount namespace is in <paramref name="namespaces"/>.</summary>
    public static List<int> Find(IReadOnlySet<ulong> namespaces)
    {
        var pids = new List<int>();
        if (namespaces.Count == 0)
            return pids;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                || pid == Environment.ProcessId)
                continue;
            if ((namespaces.Contains(NamespaceOf(pid, "net")) || namespaces.Contains(NamespaceOf(pid, "mnt")))
                && !ProcessIdentity.IsZombie(pid))
                pids.Add(pid);
        }
        return pids;
    }

    /// <summary>The namespace inode of <paramref name="pid"/> for <paramref name="kind"/> (net, mnt), or 0.</summary>
    public static ulong NamespaceOf(int pid, string kind)
    {
        try
        {
            // The link reads "net:[4026531840]".
            string? target = new FileInfo($"/proc/{pid}/ns/{kind}").LinkTarget;
            if (target is null)
                return 0;
            int open = target.IndexOf('[', StringComparison.Ordinal);
            int close = target.IndexOf(']', StringComparison.Ordinal);
            return open > 0 && close > open
                && ulong.TryParse(target.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode)
                ? inode : 0;
        }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }

    /// <summary>
    /// SIGKILLs every process in the namespaces and waits until none is left, rescanning
    /// because a dying parent may have forked. Throws if some survive <paramref name="timeout"/>.
    /// </summary>
    public static async Task KillAllAsync(IReadOnlySet<ulong> namespaces, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            var pids = Find(namespaces);
            if (pids.Count == 0)
                return;
            if (Environment.TickCount64 > deadline)
                throw new BoxException($"processes {string.Join(", ", pids)} did not die after SIGKILL within {timeout.TotalSeconds:0}s");

            var handles = new List<Pidfd>();
            try
            {
                var fuse = FuseConnections.Of(pids, namespaces);
                foreach (int pid in pids)
                {
                    var pidfd = Pidfd.Open(pid);
                    if (pidfd is null)
                        continue;
                    handles.Add(pidfd);
                    pidfd.Signal(LibC.SIGKILL);
                }
                // The box's daemons are dead or dying: nothing serves its FUSE mounts any more.
                FuseConnections.Abort(fuse);
                foreach (var pidfd in handles)
                    await pidfd.WaitUntilExitedAsync(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64)), cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BoxException(e.Message, e);
            }
            finally
            {
                foreach (var pidfd in handles)
                    pidfd.Dispose();
            }
            DetachedProcess.ReapExited();
        }
    }
}
