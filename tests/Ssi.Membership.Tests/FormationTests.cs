using Ssi.Membership.Tests.Infrastructure;
using Ssi.Protocol;
using Xunit.Abstractions;

namespace Ssi.Membership.Tests;

public sealed class FormationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(3, 3)]
    [InlineData(5, 5)]
    public async Task Nodes_form_a_cluster_with_one_master_numbered_1_to_N(int count, int voters)
    {
        await using var cluster = new TestCluster(output);
        await cluster.FormAsync(count);

        await cluster.WaitAsync(() => cluster.Running.All(n => n.M.GetClusterInfo() is { HasQuorum: true } info && info.Voters == voters),
            TimeSpan.FromSeconds(30), $"{voters} voters and quorum everywhere");
        var master = cluster.MasterNode().M.LocalNode;
        foreach (var node in cluster.Running)
        {
            var info = node.M.GetClusterInfo();
            Assert.True(info.HasQuorum, node.Name);
            Assert.Equal(master, info.Master);
            var nodes = node.M.GetNodes();
            Assert.Equal(Enumerable.Range(1, count), nodes.Select(n => n.Number));
            Assert.All(nodes, n => Assert.Equal(NodeState.Up, n.State));
            Assert.Single(nodes, n => n.Role == NodeRole.Master);
            Assert.All(nodes, n => Assert.NotNull(n.UpSince));
        }
        output.WriteLine(cluster.Dump());
    }

    [Fact]
    public async Task Every_node_delivers_the_same_events_in_the_same_order()
    {
        await using var cluster = new TestCluster(output);
        var nodes = await cluster.FormAsync(3);
        await cluster.KillAsync(nodes[2]);
        await cluster.WaitAsync(() => cluster.Running.All(n => n.M.GetNode(3)?.State == NodeState.Down),
            TimeSpan.FromSeconds(10), "node 3 DOWN");

        var histories = new List<List<NodeEvent>>();
        foreach (var node in cluster.Running)
        {
            var events = new List<NodeEvent>();
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                await foreach (var ev in node.M.WatchAsync(0, cts.Token))
                    events.Add(ev);
            }
            catch (OperationCanceledException)
            {
            }
            histories.Add(events);
        }
        Assert.All(histories, h => Assert.Equal(histories[0], h));
        Assert.Equal(histories[0].OrderBy(e => e.Epoch), histories[0]);
        Assert.Contains(histories[0], e => e.Node == 3 && e.To == NodeState.Down);
    }
}
