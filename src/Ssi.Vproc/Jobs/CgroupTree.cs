using Ssi.Posix;

namespace Ssi.Vproc.Jobs;

/// <summary>
/// Where this node's job cgroups live: <c>&lt;cgroup2 mount&gt;/ssi/&lt;cluster&gt;.&lt;node&gt;/job-&lt;cpid&gt;</c>.
/// The ssi-owned parent never holds a process itself, so the jobs below it can be moved and
/// killed freely; several daemons on one machine (a cluster-in-a-box) each have their own.
/// </summary>
internal sealed class CgroupTree
{
    private CgroupTree(string nodePath) => NodePath = nodePath;

    /// <summary>This node's parent cgroup.</summary>
    public string NodePath { get; }

    /// <summary>Finds the cgroup v2 mount and this node's parent under it.</summary>
    /// <exception cref="IOException">No cgroup v2 hierarchy is mounted.</exception>
    public static CgroupTree Open(string clusterName, string nodeName)
    {
        var mount = Cgroup2.FindMount() ?? throw new IOException("no cgroup v2 hierarchy is mounted (looked in /proc/self/mountinfo): cluster processes need one");
        var parent = Path.Combine(mount, "ssi");
        var node = Path.Combine(parent, Cgroup2.Sanitize(clusterName) + "." + Cgroup2.Sanitize(nodeName));
        RemoveEmpty(parent);
        Directory.CreateDirectory(node);
        return new CgroupTree(node);
    }

    // Cgroups of daemons that are gone (a killed daemon, a destroyed box) stay behind: rmdir
    // succeeds only on a cgroup with no process and no child, so only dead jobs' cgroups and
    // then empty node cgroups go; a live node recreates its own on use.
    private static void RemoveEmpty(string parent)
    {
        if (!Directory.Exists(parent))
            return;
        foreach (var dir in Directory.GetDirectories(parent))
        {
            try
            {
                foreach (var job in Directory.GetDirectories(dir, "job-*"))
                    TryRemove(job);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
            TryRemove(dir);
        }

        static void TryRemove(string dir)
        {
            try
            {
                Directory.Delete(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>Kills every job of this node and removes the node's cgroup (the daemon is stopping).</summary>
    public async Task RemoveAsync()
    {
        await KillLeftoversAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(NodePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The cgroup of job <paramref name="cpid"/> (not created yet: <see cref="JobCgroup.Make"/>).</summary>
    public JobCgroup Job(ClusterPid cpid) => JobCgroup.At(Path.Combine(NodePath, "job-" + cpid));

    /// <summary>
    /// Kills and removes the job cgroups of an earlier run of this node's daemon: the cluster
    /// declared that run's processes ended by node failure when it went away.
    /// </summary>
    public async Task<int> KillLeftoversAsync()
    {
        int count = 0;
        if (!Directory.Exists(NodePath))
            return 0;
        foreach (var dir in Directory.GetDirectories(NodePath, "job-*"))
        {
            count++;
            await JobCgroup.Create(dir).RemoveAsync().ConfigureAwait(false);
        }
        return count;
    }
}
