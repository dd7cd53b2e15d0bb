using Ssi.Posix;

namespace Ssi.Box.Tests;

[Trait("Category", "Cluster")]
public class BoxCgroupTests
{
    [Fact]
    public async Task Destroy_removes_the_job_cgroups_a_killed_node_daemon_left_behind()
    {
        var mount = Cgroup2.FindMount();
        Assert.NotNull(mount);
        string name = ClusterBox.NewUniqueName();
        var node = Path.Combine(mount, "ssi", name + ".node1");
        var job = Path.Combine(node, "job-1000001");
        int sleeper;
        try
        {
            await using (var box = await ClusterBox.CreateAsync(name, 1))
            {
                // What a node daemon killed with SIGKILL leaves: its node cgroup, a job cgroup
                // and the job's process still in it.
                Directory.CreateDirectory(job);
                sleeper = box.Node(1).Start(new NodeCommand("job", "sleep", ["1000"])).Pid;
                await File.WriteAllTextAsync(Path.Combine(job, "cgroup.procs"), sleeper.ToString(System.Globalization.CultureInfo.InvariantCulture));

                await box.DestroyAsync();
            }

            Assert.False(Directory.Exists(job), $"{job} is left behind");
            Assert.False(Directory.Exists(node), $"{node} is left behind");
            Assert.False(Directory.Exists($"/proc/{sleeper}"), $"the job's process {sleeper} still runs");
        }
        finally
        {
            await Cgroup2.RemoveClusterAsync(name, "node*", TimeSpan.FromSeconds(5));
        }
    }
}
