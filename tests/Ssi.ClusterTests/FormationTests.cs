using Ssi.Protocol;
using Xunit.Abstractions;

namespace Ssi.ClusterTests;

[Trait("Category", "Cluster")]
[Collection("box")]
public class FormationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public async Task Every_node_sees_every_node_up_with_one_master(int size)
    {
        await using var box = await TestBox.UpAsync(size, output);

        foreach (var viewer in Enumerable.Range(1, size))
        {
            var list = await box.Cluster.WaitForAsync(viewer, l => l.Nodes.Count(n => n.State == NodeState.Up) == size && l.Nodes.Count(n => n.Role == NodeRole.Master) == 1, TestBox.Patience);
            var info = await box.ClusterAsync(viewer);
            Assert.Equal(Enumerable.Range(1, size), list.Nodes.Select(n => n.Number).Order());
            Assert.Equal(Enumerable.Range(1, size).Select(k => $"node{k}"), list.Nodes.OrderBy(n => n.Number).Select(n => n.Name));
            Assert.Single(list.Nodes, n => n.Role == NodeRole.Master);
            Assert.True(info.HasQuorum);
            Assert.Equal(viewer, info.LocalNode);
        }
        var masters = await Task.WhenAll(Enumerable.Range(1, size).Select(async v => (await box.ClusterAsync(v)).Master));
        Assert.Single(masters.Distinct());
    }

    [Fact]
    public async Task Sixteen_nodes_form_with_at_most_five_voters_and_stay_stable()
    {
        await using var box = await TestBox.UpAsync(16, output);
        var formed = await box.Cluster.WaitForClusterAsync(1, c => c.Up == 16 && c.Voters == 5, TestBox.Patience);

        await Task.Delay(TimeSpan.FromSeconds(10));

        var after = await box.ClusterAsync(1);
        var list = await box.NodesAsync(16);
        Assert.Equal(16, after.Up);
        Assert.Equal(5, after.Voters);
        Assert.Equal(formed.Epoch, after.Epoch); // no node flapped DOWN and back
        Assert.All(list.Nodes, n => Assert.Equal(NodeState.Up, n.State));
        Assert.Equal(11, list.Nodes.Count(n => n.Role == NodeRole.Member));
    }
}
