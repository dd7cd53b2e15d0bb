using Ssi.Box;
using Ssi.Client;
using Ssi.Ics;
using Xunit.Abstractions;

namespace Ssi.ClusterTests;

[Trait("Category", "Cluster")]
[Collection("box")]
public class CredentialTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_with_the_wrong_key_is_refused_and_never_listed()
    {
        await using var box = await TestBox.UpAsync(3, output);
        var intruder = await box.Box.AddNodeAsync();
        WriteConfig(intruder, box.Box.Node(1));
        var genuine = ClusterCredentials.Load(Path.Combine(box.Box.Node(1).StateDirectory, NodeConfig.CredentialsFileName));
        (genuine with { Key = ClusterCredentials.Create("x").Key }).Save(Path.Combine(intruder.StateDirectory, NodeConfig.CredentialsFileName));

        box.Cluster.StartDaemon(intruder.Number);
        await Task.Delay(TimeSpan.FromSeconds(3));

        var list = await box.NodesAsync(1);
        Assert.Equal(3, list.Nodes.Count);
        var log = await File.ReadAllTextAsync(Path.Combine(box.Box.Node(1).StateDirectory, "ssid.log"));
        Assert.Contains("refused connection", log);
    }

    [Fact]
    public async Task A_node_without_credentials_says_what_is_missing_and_exits()
    {
        await using var box = await TestBox.UpAsync(1, output);
        var stranger = await box.Box.AddNodeAsync();
        WriteConfig(stranger, box.Box.Node(1));

        box.Cluster.StartDaemon(stranger.Number);
        var deadline = DateTime.UtcNow + TestBox.Patience;
        while (stranger.FindProcess(BoxCluster.DaemonName) is not null && DateTime.UtcNow < deadline)
            await Task.Delay(100);

        Assert.Null(stranger.FindProcess(BoxCluster.DaemonName));
        var log = await File.ReadAllTextAsync(Path.Combine(stranger.StateDirectory, "ssid.log"));
        Assert.Contains("no cluster credentials", log);
        Assert.Single((await box.NodesAsync(1)).Nodes);
    }

    private static void WriteConfig(BoxNode node, BoxNode seed) => new NodeConfig
    {
        Name = node.Name,
        Listen = $"{node.Address}:{NodeConfig.DefaultIcsPort}",
        RaftListen = $"{node.Address}:{NodeConfig.DefaultRaftPort}",
        Socket = node.SocketPath,
        Seed = $"{seed.Address}:{NodeConfig.DefaultIcsPort}",
    }.Save(node.StateDirectory);
}
