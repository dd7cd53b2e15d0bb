using System.Diagnostics;
using System.Net;
using Ssi.Membership.Tests.Infrastructure;
using Ssi.Protocol;
using Xunit.Abstractions;

namespace Ssi.Membership.Tests;

public sealed class VoterSetTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Nodes_beyond_five_are_members_that_do_not_vote_and_still_see_every_event()
    {
        await using var cluster = new TestCluster(output);
        await cluster.FormAsync(7);

        var roles = cluster.Running.First().M.GetNodes().GroupBy(n => n.Role).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(1, roles[NodeRole.Master]);
        Assert.Equal(4, roles[NodeRole.Voter]);
        Assert.Equal(2, roles[NodeRole.Member]);
        var members = cluster.Running.Where(n => !n.M.IsVoter).ToList();
        Assert.Equal(2, members.Count);
        Assert.All(members, m => Assert.True(m.M.HasQuorum));

        // A non-voter dies: everyone, the other non-voter included, learns it from the committed state.
        var victim = members[0];
        var number = victim.M.LocalNode;
        var killed = Stopwatch.StartNew();
        await cluster.KillAsync(victim);
        await cluster.WaitAsync(() => cluster.Running.All(n => n.M.GetNode(number)?.State == NodeState.Down),
            TimeSpan.FromSeconds(10), $"member {number} DOWN everywhere");
        cluster.Log($"non-voter {number} DOWN on every survivor after {killed.ElapsedMilliseconds} ms");
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_dead_voter_is_replaced_by_a_healthy_member()
    {
        await using var cluster = new TestCluster(output);
        await cluster.FormAsync(7);
        var victim = cluster.Running.First(n => n.M.IsVoter && !n.M.IsMaster);
        var number = victim.M.LocalNode;
        var spares = cluster.Running.Where(n => !n.M.IsVoter).Select(n => n.M.LocalNode).ToHashSet();

        await cluster.KillAsync(victim);
        var took = await cluster.WaitAsync(() => cluster.Running.All(n =>
                n.M.GetNode(number) is { State: NodeState.Down, Role: NodeRole.Member }
                && n.M.GetNodes().Count(x => x.Role != NodeRole.Member) == 5
                && n.M.GetClusterInfo().HasQuorum),
            TimeSpan.FromSeconds(20), "dead voter replaced");
        cluster.Log($"voter {number} replaced after {took.TotalMilliseconds:F0} ms\n{cluster.Dump()}");

        var promoted = cluster.Running.Where(n => n.M.IsVoter && spares.Contains(n.M.LocalNode)).ToList();
        Assert.Single(promoted);

        // The new voter counts: with two more voters gone, the remaining three still form a majority of five.
        foreach (var other in cluster.Running.Where(n => n.M.IsVoter && !n.M.IsMaster && n != promoted[0]).Take(2).ToList())
            await cluster.KillAsync(other);
        await cluster.WaitAsync(() => cluster.Running.Any(n => n.M.IsMaster)
                && cluster.Running.All(n => n.M.GetNodes().Count(x => x.State == NodeState.Down) >= 3),
            TimeSpan.FromSeconds(20), "the remaining majority keeps committing");
    }

    [Fact]
    public async Task A_replaced_voter_that_comes_back_is_a_member_with_its_old_number()
    {
        await using var cluster = new TestCluster(output);
        await cluster.FormAsync(6);
        var victim = cluster.Running.First(n => n.M.IsVoter && !n.M.IsMaster);
        var number = victim.M.LocalNode;
        await cluster.KillAsync(victim);
        await cluster.WaitAsync(() => cluster.Running.All(n => n.M.GetNode(number) is { State: NodeState.Down, Role: NodeRole.Member }
                && n.M.GetClusterInfo().Voters == 5),
            TimeSpan.FromSeconds(20), "dead voter replaced");

        await cluster.StartAsync(victim.Name);
        await cluster.WaitAsync(() => cluster.Running.All(n => n.M.GetNode(number) is { State: NodeState.Up, Role: NodeRole.Member })
                && !victim.M.IsVoter && victim.M.HasQuorum,
            TimeSpan.FromSeconds(20), "old voter back as a member");
        Assert.Equal(number, victim.M.LocalNode);
    }

    [Fact]
    public async Task A_voter_the_Raft_group_dropped_behind_the_member_list_gets_its_seat_back()
    {
        await using var cluster = new TestCluster(output);
        await cluster.FormAsync(5);
        var master = cluster.MasterNode();
        var victim = cluster.Running.First(n => n.M.IsVoter && !n.M.IsMaster);
        var number = victim.M.LocalNode;

        // What a removal cut short leaves behind (the Raft change committed, leadership lost before the
        // member list followed, the node back UP meanwhile): an UP voter that the Raft group left out.
        Assert.True(await master.M.Raft!.Cluster.RemoveMemberAsync(new IPEndPoint(IPAddress.Loopback, victim.RaftPort)));
        await cluster.WaitAsync(() => !victim.M.HasQuorum, TimeSpan.FromSeconds(10), $"node {number} without a leader");

        var took = await cluster.WaitAsync(() => cluster.Running.All(n => n.M.HasQuorum && n.M.Master > 0
                && n.M.GetClusterInfo().Voters == 5 && n.M.GetNode(number)?.State == NodeState.Up),
            TimeSpan.FromSeconds(20), $"node {number} back in a working voter set");
        cluster.Log($"voter set repaired after {took.TotalMilliseconds:F0} ms\n{cluster.Dump()}");
    }

    [Fact]
    public async Task A_voter_in_the_member_list_already_has_its_seat_on_the_master()
    {
        // The voter policy takes a voter that the master's Raft member list lacks for one whose seat was
        // lost and demotes it. DotNext fills that list a little after a configuration change commits, so the
        // master must not commit the voter flag before the seat shows: a formation once demoted node 2 that way.
        await using var cluster = new TestCluster(output);
        var unseated = new List<string>();
        using var stop = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (cluster.Running.FirstOrDefault(n => n.Name == "n1")?.Membership is { Raft: { } raft } m && m.IsMaster)
                {
                    // The member list first: a flag committed after its seat showed is then seen seated too.
                    var voters = m.GetNodes().Where(n => n.Role != NodeRole.Member).Select(n => n.Number).ToList();
                    var seats = raft.Cluster.Members.Select(s => ((IPEndPoint)s.EndPoint).Port).ToHashSet();
                    foreach (var v in voters.Where(v => !seats.Contains(cluster[$"n{v}"].RaftPort)))
                        unseated.Add($"node {v} is a voter in the member list, seats: {string.Join(",", seats)}");
                }
                await Task.Delay(1);
            }
        });
        await cluster.FormAsync(5);
        await stop.CancelAsync();
        await watch;
        Assert.Empty(unseated);
    }

    [Fact]
    public async Task A_sixteen_node_cluster_forms_and_stays_stable()
    {
        await using var cluster = new TestCluster(output);
        await cluster.FormAsync(16);
        var epoch = cluster.Running.First().M.Epoch;

        // No false alarms while nothing happens.
        await Task.Delay(TimeSpan.FromSeconds(5));
        cluster.Log(cluster.Dump());
        foreach (var node in cluster.Running)
        {
            Assert.All(node.M.GetNodes(), n => Assert.Equal(NodeState.Up, n.State));
            Assert.True(node.M.GetClusterInfo().HasQuorum, node.Name);
        }
        Assert.Equal(epoch, cluster.Running.First().M.Epoch);
    }
}
