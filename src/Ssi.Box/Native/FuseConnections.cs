using Ssi.Fuse;

namespace Ssi.Box.Native;

/// <summary>
/// The FUSE connections a node's daemon serves, aborted once it is killed. A daemon thread
/// inside a request on its own mount (a stat of /cluster, say) when SIGKILL comes waits for
/// the answer uninterruptibly once the request was read; the readers are dead, and the
/// connection only ends when /dev/fuse closes, which waits for that very thread: the process
/// stays a zombie, its mount hangs whoever touches it. fusectl's abort ends that wait.
/// </summary>
internal static class FuseConnections
{
    /// <summary>
    /// The connections of the FUSE mounts that <paramref name="pids"/> see, for those living in
    /// one of the <paramref name="mountNamespaces"/> (inodes; each read once), less those this
    /// process sees too: a node's mount namespace began as a copy of the host's, with the
    /// host's FUSE mounts (a user's sshfs, another test's mount), and those connections are
    /// not the node's to end.
    /// </summary>
    public static HashSet<uint> Of(IEnumerable<int> pids, IReadOnlySet<ulong> mountNamespaces)
    {
        var found = new HashSet<uint>();
        var read = new HashSet<ulong>();
        foreach (var pid in pids)
        {
            var mountNamespace = NamespaceMembers.NamespaceOf(pid, "mnt");
            if (mountNamespace != 0 && mountNamespaces.Contains(mountNamespace) && read.Add(mountNamespace))
                found.UnionWith(Listed($"/proc/{pid}/mountinfo"));
        }
        if (found.Count > 0)
            found.ExceptWith(Listed("/proc/self/mountinfo"));
        return found;
    }

    /// <summary>Aborts each connection that still exists.</summary>
    public static void Abort(IEnumerable<uint> connections)
    {
        foreach (var connection in connections)
            FuseMount.AbortConnection(connection); // false: gone meanwhile, the kernel ended it itself
    }

    private static IEnumerable<uint> Listed(string mountInfo)
    {
        try
        {
            return FuseMountTable.List(mountInfo).Select(m => m.Connection);
        }
        catch (IOException)
        {
            return []; // the process is gone
        }
    }
}
