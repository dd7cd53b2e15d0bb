using System.Diagnostics;
using Ssi.Protocol;
using Xunit.Abstractions;

namespace Ssi.ClusterTests;

[Trait("Category", "Cluster")]
[Collection("box")]
public class PartitionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_minority_partition_knows_it_lost_quorum_and_the_majority_carries_on()
    {
        await using var box = await TestBox.UpAsync(5, output);
        var clock = Stopwatch.StartNew();

        await box.Box.PartitionAsync([[1, 2], [3, 4, 5]]);
        await box.WaitForStateAsync(1, NodeState.Down, [3, 4, 5], clock);
        await box.WaitForStateAsync(2, NodeState.Down, [3, 4, 5], clock);
        var minority = await Task.WhenAll(new[] { 1, 2 }.Select(v => box.Cluster.WaitForClusterAsync(v, c => !c.HasQuorum, TestBox.Patience)));
        var majority = await box.Cluster.WaitForClusterAsync(3, c => c.HasQuorum && c.Master is >= 3, TestBox.Patience);

        Assert.All(minority, c => Assert.False(c.HasQuorum));
        Assert.True(majority.HasQuorum);

        await box.Box.HealAsync();
        await box.WaitForStateAsync(1, NodeState.Up, [1, 2, 3, 4, 5], Stopwatch.StartNew());
        await box.WaitForStateAsync(2, NodeState.Up, [1, 2, 3, 4, 5], Stopwatch.StartNew());
        Assert.True((await box.Cluster.WaitForClusterAsync(1, c => c.HasQuorum, TestBox.Patience)).HasQuorum);
    }
}
