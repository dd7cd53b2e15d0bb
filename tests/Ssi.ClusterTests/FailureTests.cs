using System.Diagnostics;
using Ssi.Client;
using Ssi.Protocol;
using Xunit.Abstractions;

namespace Ssi.ClusterTests;

[Trait("Category", "Cluster")]
[Collection("box")]
public partial class FailureTests(ITestOutputHelper output)
{
    // Generous on purpose: the suite must not flake on a loaded machine. The figures that
    // matter (target under 1 s) are measured by 'ssi bench membership'.
    private static readonly TimeSpan DetectionBound = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_killed_daemon_is_declared_down_by_every_survivor_and_quorum_holds()
    {
        await using var box = await TestBox.UpAsync(3, output);
        var clock = Stopwatch.StartNew();

        await box.Cluster.KillDaemonAsync(3);
        var seen = await box.WaitForStateAsync(3, NodeState.Down, box.AllBut(3), clock);

        Assert.All(seen.Values, t => Assert.True(t < DetectionBound, $"detection took {t}"));
        Assert.True((await box.ClusterAsync(1)).HasQuorum);
        Assert.True((await box.ClusterAsync(2)).HasQuorum);
    }

    [Fact]
    public async Task A_killed_master_is_replaced_and_declared_down()
    {
        await using var box = await TestBox.UpAsync(3, output);
        var master = (await box.ClusterAsync(1)).Master!.Value;
        var clock = Stopwatch.StartNew();

        await box.Cluster.KillDaemonAsync(master);
        await AssertReplacedAsync(box, master, clock);
    }

    // Every survivor declares the old master DOWN in time, and they agree on a new one with quorum.
    private static async Task AssertReplacedAsync(TestBox box, int master, Stopwatch clock)
    {
        var seen = await box.WaitForStateAsync(master, NodeState.Down, box.AllBut(master), clock);
        var survivors = box.AllBut(master).ToArray();
        var info = await box.Cluster.WaitForClusterAsync(survivors[0], c => c.Master is { } m && m != master, TestBox.Patience);

        Assert.All(seen.Values, t => Assert.True(t < DetectionBound, $"detection took {t}"));
        Assert.True(info.HasQuorum);
        Assert.Equal(info.Master, (await box.ClusterAsync(survivors[1])).Master);
    }

    [Fact]
    public async Task A_hung_master_is_replaced_and_declared_down()
    {
        // A stopped daemon keeps its connections open and answers nothing: every request to it
        // waits for its timeout, which elections must outlast (a 1 s Raft request timeout
        // against 150-300 ms elections left the cluster without a master for good).
        await using var box = await TestBox.UpAsync(3, output);
        var master = (await box.ClusterAsync(1)).Master!.Value;
        var pid = box.Cluster.Box.Node(master).FindProcess(BoxCluster.DaemonName)!.Pid;
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, Kill(pid, SIGSTOP));
        try
        {
            await AssertReplacedAsync(box, master, clock);
        }
        finally
        {
            Kill(pid, SIGCONT);
        }
    }

    private const int SIGSTOP = 19;
    private const int SIGCONT = 18;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    [Fact]
    public async Task A_restarted_node_rejoins_with_its_number()
    {
        await using var box = await TestBox.UpAsync(3, output);
        await box.Cluster.KillDaemonAsync(2);
        await box.WaitForStateAsync(2, NodeState.Down, [1, 3], Stopwatch.StartNew());

        box.Cluster.StartDaemon(2);
        await box.WaitForStateAsync(2, NodeState.Up, [1, 2, 3], Stopwatch.StartNew());

        var list = await box.NodesAsync(2);
        Assert.Equal(3, list.Nodes.Count);
        Assert.Equal("node2", list.Nodes.Single(n => n.Number == 2).Name);
        Assert.Equal(2, (await box.ClusterAsync(2)).LocalNode);
    }

    [Fact]
    public async Task A_cut_link_is_declared_down_and_the_node_rejoins_when_restored()
    {
        await using var box = await TestBox.UpAsync(3, output);
        var clock = Stopwatch.StartNew();

        await box.Box.Node(3).CutLinkAsync();
        var seen = await box.WaitForStateAsync(3, NodeState.Down, [1, 2], clock);
        var isolated = await box.Cluster.WaitForClusterAsync(3, c => !c.HasQuorum, TestBox.Patience);
        await box.Box.Node(3).RestoreLinkAsync();
        await box.WaitForStateAsync(3, NodeState.Up, [1, 2, 3], Stopwatch.StartNew());

        Assert.All(seen.Values, t => Assert.True(t < DetectionBound, $"detection took {t}"));
        Assert.False(isolated.HasQuorum);
        Assert.True((await box.ClusterAsync(3)).HasQuorum);
    }

    [Fact]
    public async Task A_dead_voter_is_replaced_by_a_healthy_member()
    {
        await using var box = await TestBox.UpAsync(7, output);
        var before = await box.NodesAsync(1);
        var master = before.Nodes.Single(n => n.Role == NodeRole.Master).Number;
        var voter = before.Nodes.First(n => n.Role == NodeRole.Voter).Number;

        await box.Cluster.KillDaemonAsync(voter);
        var after = await box.Cluster.WaitForAsync(master, l =>
            l.Nodes.Single(n => n.Number == voter).State == NodeState.Down &&
            l.Nodes.Count(n => n.Role is NodeRole.Voter or NodeRole.Master && n.State == NodeState.Up) == 5, TestBox.Patience);

        Assert.Equal(NodeRole.Member, after.Nodes.Single(n => n.Number == voter).Role);
        Assert.Contains(after.Nodes, n => n.Role == NodeRole.Voter && before.Nodes.Single(b => b.Number == n.Number).Role == NodeRole.Member);
        Assert.True((await box.ClusterAsync(master)).HasQuorum);
    }

    [Fact]
    public async Task A_node_killed_in_a_five_node_cluster_is_seen_down_by_all_four_survivors()
    {
        await using var box = await TestBox.UpAsync(5, output);
        var clock = Stopwatch.StartNew();

        await box.Cluster.KillDaemonAsync(4);
        var seen = await box.WaitForStateAsync(4, NodeState.Down, box.AllBut(4), clock);

        Assert.Equal(4, seen.Count);
        Assert.All(seen.Values, t => Assert.True(t < DetectionBound, $"detection took {t}"));
    }
}
