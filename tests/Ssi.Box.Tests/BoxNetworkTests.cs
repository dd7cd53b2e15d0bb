using Ssi.Box.Tests.Infrastructure;

namespace Ssi.Box.Tests;

[Trait("Category", "Cluster")]
public class BoxNetworkTests
{
    [Fact]
    public async Task Every_node_reaches_every_other_node()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 3);

        foreach (var from in box.Nodes)
        {
            foreach (var to in box.Nodes.Where(n => n != from))
                Assert.True(await Reachability.CanConnectAsync(from, to, Reachability.Reachable), $"{from} -> {to}");
        }
    }

    [Fact]
    public async Task Ping_crosses_the_bridge()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 2);

        var result = await box.Node(1).RunAsync("ping", "-c", "1", "-W", "5", box.Node(2).Address.ToString());

        Assert.True(result.Succeeded, $"ping failed ({result.ExitCode}): {result.StandardOutput}{result.StandardError} (./ssi installs iputils-ping)");
    }

    [Fact]
    public async Task A_node_has_its_address_and_only_a_route_to_its_box()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 2);
        var node = box.Node(2);

        var addresses = await node.RunAsync("ip", "-o", "-4", "addr", "show");
        var routes = await node.RunAsync("ip", "-4", "route", "show", "table", "all");

        Assert.Contains($"inet {node.Address}/24", addresses.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("lo    inet 127.0.0.1/8", addresses.StandardOutput, StringComparison.Ordinal);
        var mainRoutes = routes.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(r => !r.Contains("table local", StringComparison.Ordinal))
            .ToList();
        Assert.Equal([$"{box.Subnet}/24 dev eth0 proto kernel scope link src {node.Address}"], mainRoutes.Select(r => r.Trim()));
    }

    [Fact]
    public async Task Cutting_a_link_stops_traffic_until_it_is_restored()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 3);
        var (n1, n2, n3) = (box.Node(1), box.Node(2), box.Node(3));

        await n2.CutLinkAsync();
        Assert.False(await Reachability.CanConnectAsync(n1, n2, Reachability.Unreachable));
        Assert.False(await Reachability.CanConnectAsync(n2, n3, Reachability.Unreachable));
        Assert.True(await Reachability.CanConnectAsync(n1, n3, Reachability.Reachable));

        await n2.RestoreLinkAsync();
        Assert.True(await Reachability.CanConnectAsync(n1, n2, Reachability.Reachable));
        Assert.True(await Reachability.CanConnectAsync(n2, n3, Reachability.Reachable));
    }

    [Fact]
    public async Task A_partition_separates_groups_until_healed()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 4);
        var n = box.Nodes;

        await box.PartitionAsync([[3, 4]]);
        Assert.True(await Reachability.CanConnectAsync(n[0], n[1], Reachability.Reachable));
        Assert.True(await Reachability.CanConnectAsync(n[2], n[3], Reachability.Reachable));
        Assert.False(await Reachability.CanConnectAsync(n[0], n[2], Reachability.Unreachable));
        Assert.False(await Reachability.CanConnectAsync(n[3], n[1], Reachability.Unreachable));

        await box.HealAsync();
        Assert.True(await Reachability.CanConnectAsync(n[0], n[2], Reachability.Reachable));
        Assert.True(await Reachability.CanConnectAsync(n[3], n[1], Reachability.Reachable));
    }

    [Fact]
    public async Task A_new_partition_replaces_the_previous_one()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 3);
        var n = box.Nodes;

        await box.PartitionAsync([[1]]);
        await box.PartitionAsync([[1, 2], [3]]);

        Assert.True(await Reachability.CanConnectAsync(n[0], n[1], Reachability.Reachable));
        Assert.False(await Reachability.CanConnectAsync(n[1], n[2], Reachability.Unreachable));
        Assert.False(await Reachability.CanConnectAsync(n[0], n[2], Reachability.Unreachable));
    }

    [Fact]
    public async Task Boxes_up_at_the_same_time_get_different_subnets()
    {
        await using var a = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 1);
        await using var b = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 1);

        Assert.NotEqual(a.Index, b.Index);
        Assert.NotEqual(a.Node(1).Address, b.Node(1).Address);
    }

    [Fact]
    public async Task An_added_node_joins_the_network()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 2);

        var added = await box.AddNodeAsync();

        Assert.Equal(3, added.Number);
        Assert.Equal(3, box.Nodes.Count);
        Assert.True(await Reachability.CanConnectAsync(box.Node(1), added, Reachability.Reachable));
    }
}
