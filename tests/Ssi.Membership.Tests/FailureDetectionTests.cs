using Ssi.Membership.Tests.Infrastructure;
using Ssi.Protocol;
using Xunit.Abstractions;

namespace Ssi.Membership.Tests;

public sealed class FailureDetectionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_killed_member_is_seen_DOWN_by_every_survivor_within_a_second_or_so()
    {
        await using var cluster = new TestCluster(output);
        await cluster.FormAsync(5);
        var victim = cluster.Running.First(n => !n.M.IsMaster);
        var number = victim.M.LocalNode;

        var killed = System.Diagnostics.Stopwatch.StartNew();
        await cluster.KillAsync(victim);
        await cluster.WaitAsync(() => cluster.Running.All(n => n.M.GetNode(number)?.State == NodeState.Down),
            TimeSpan.FromSeconds(10), $"node {number} DOWN everywhere");
        var took = killed.Elapsed;

        cluster.Log($"node {number} DOWN on every survivor after {took.TotalMilliseconds:F0} ms");
        Assert.True(took < Generous, $"detection took {took.TotalMilliseconds:F0} ms");
        var ev = cluster.Running.First().M.GetNodes().Single(n => n.Number == number);
        Assert.Null(ev.UpSince);
    }

    [Fact]
    public async Task A_killed_master_is_replaced_by_election_and_the_new_master_commits_its_DOWN()
    {
        await using var cluster = new TestCluster(output);
        await cluster.FormAsync(5);
        var master = cluster.MasterNode();
        var number = master.M.LocalNode;

        var killed = System.Diagnostics.Stopwatch.StartNew();
        await cluster.KillAsync(master);
        await cluster.WaitAsync(() => cluster.Running.All(n => n.M.GetNode(number)?.State == NodeState.Down),
            TimeSpan.FromSeconds(10), $"old master {number} DOWN everywhere");
        var took = killed.Elapsed;

        cluster.Log($"old master {number} DOWN on every survivor after {took.TotalMilliseconds:F0} ms");
        Assert.True(took < Generous, $"detection took {took.TotalMilliseconds:F0} ms");
        var newMaster = cluster.MasterNode().M.LocalNode;
        Assert.NotEqual(number, newMaster);
        await cluster.WaitAsync(() => cluster.Running.All(n => n.M.GetClusterInfo().Master == newMaster),
            TimeSpan.FromSeconds(5), "every survivor names the new master");
    }

    [Fact]
    public async Task A_restarted_node_rejoins_COMINGUP_then_UP_with_the_same_number()
    {
        await using var cluster = new TestCluster(output);
        var nodes = await cluster.FormAsync(3);
        var victim = nodes[2];
        var number = victim.M.LocalNode;
        var watcher = nodes[0].M;
        var after = watcher.Epoch;

        await cluster.KillAsync(victim);
        await cluster.WaitAsync(() => watcher.GetNode(number)?.State == NodeState.Down, TimeSpan.FromSeconds(10), "DOWN");
        await cluster.StartAsync(victim.Name);

        Assert.Equal(number, victim.M.LocalNode);
        await cluster.WaitAsync(() => cluster.Running.All(n => n.M.GetNode(number)?.State == NodeState.Up),
            TimeSpan.FromSeconds(10), "rejoined node UP everywhere");
        var transitions = new List<(NodeState, NodeState)>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        try
        {
            await foreach (var ev in watcher.WatchAsync(after, cts.Token))
                if (ev.Node == number)
                    transitions.Add((ev.From, ev.To));
        }
        catch (OperationCanceledException)
        {
        }
        Assert.Equal([(NodeState.Up, NodeState.Down), (NodeState.Down, NodeState.ComingUp), (NodeState.ComingUp, NodeState.Up)], transitions);
    }

    [Fact]
    public async Task A_restarted_master_rejoins_from_its_write_ahead_log()
    {
        await using var cluster = new TestCluster(output);
        await cluster.FormAsync(3);
        var master = cluster.MasterNode();
        var number = master.M.LocalNode;

        await cluster.KillAsync(master);
        await cluster.WaitAsync(() => cluster.Running.All(n => n.M.GetNode(number)?.State == NodeState.Down), TimeSpan.FromSeconds(10), "DOWN");
        await cluster.StartAsync(master.Name);

        Assert.Equal(number, master.M.LocalNode);
        await cluster.WaitAsync(() => cluster.Running.All(n => n.M.GetNode(number)?.State == NodeState.Up && n.M.GetClusterInfo().HasQuorum),
            TimeSpan.FromSeconds(15), "restarted master UP everywhere");
        Assert.True(master.M.IsVoter);
    }

    [Fact]
    public async Task A_minority_knows_it_has_lost_quorum()
    {
        await using var cluster = new TestCluster(output);
        var nodes = await cluster.FormAsync(3);
        var survivor = nodes.First(n => !n.M.IsMaster);
        foreach (var n in nodes.Where(n => n != survivor))
            await cluster.KillAsync(n);

        await cluster.WaitAsync(() => !survivor.M.GetClusterInfo().HasQuorum, TimeSpan.FromSeconds(10), "quorum lost");
        Assert.False(survivor.M.IsMaster);
    }
}
