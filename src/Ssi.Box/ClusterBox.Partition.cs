using Ssi.Box.Native;

namespace Ssi.Box;

// Network partitions: the switch is split into separate bridges, as if the cables of each
// group were moved to a switch of its own. Nodes inside a group still reach each other.
public sealed partial class ClusterBox
{
    /// <summary>
    /// Splits the network: each group of node numbers gets a segment of its own, and the nodes
    /// in no group stay together on the main segment. No traffic crosses segments. Replaces any
    /// partition already in place.
    /// </summary>
    /// <example><c>await box.PartitionAsync([[3]])</c> cuts node 3 off from nodes 1 and 2.</example>
    public async Task PartitionAsync(IReadOnlyList<IReadOnlyCollection<int>> groups, CancellationToken cancellationToken = default)
    {
        var seen = new HashSet<int>();
        foreach (int k in groups.SelectMany(g => g))
        {
            Node(k);
            if (!seen.Add(k))
                throw new ArgumentException($"node {k} is in more than one group", nameof(groups));
        }

        await HealAsync(cancellationToken);
        var batch = new System.Text.StringBuilder();
        for (int g = 0; g < groups.Count; g++)
        {
            string segment = $"{Name}-g{g + 1}";
            batch.Append($"link add name {segment} type bridge stp_state 0\n");
            batch.Append($"link set {segment} up\n");
            foreach (int k in groups[g])
                batch.Append($"link set {Node(k).PortName} master {segment}\n");
        }
        await HostCommand.RunCheckedAsync("ip", ["-n", SwitchNamespace, "-batch", "-"], cancellationToken, batch.ToString());
    }

    /// <summary>Ends any partition: every node is back on the main segment.</summary>
    public async Task HealAsync(CancellationToken cancellationToken = default)
    {
        string bridges = await HostCommand.RunCheckedAsync("ip", ["-n", SwitchNamespace, "-o", "link", "show", "type", "bridge"], cancellationToken);
        var batch = new System.Text.StringBuilder();
        foreach (var line in bridges.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "7: t1-g1: <BROADCAST,...": the name sits between the first two colons.
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && parts[1].Trim() is var bridge && bridge.StartsWith($"{Name}-g", StringComparison.Ordinal))
                batch.Append($"link del {bridge}\n");
        }
        foreach (var node in Nodes)
            batch.Append($"link set {node.PortName} master {BridgeName}\n");
        await HostCommand.RunCheckedAsync("ip", ["-n", SwitchNamespace, "-batch", "-"], cancellationToken, batch.ToString());
    }
}
