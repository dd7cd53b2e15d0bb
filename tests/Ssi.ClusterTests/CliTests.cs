using Ssi.Box;
using Ssi.Client;
using Xunit.Abstractions;

namespace Ssi.ClusterTests;

/// <summary>Bad input gets one clear line and a meaningful exit code, never a stack trace.</summary>
[Trait("Category", "Cluster")]
[Collection("box")]
public class CliTests(ITestOutputHelper output)
{
    [Fact]
    public async Task No_daemon_says_how_to_start_one()
    {
        var (exit, _, err) = await Cli.RunAsync("nodes", "--socket", $"/tmp/ssi-none-{Guid.NewGuid():N}.sock");

        Assert.Equal(1, exit);
        Assert.Contains("ssi up", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public async Task A_damaged_join_token_is_explained()
    {
        var (exit, _, err) = await Cli.RunAsync("join", "ssi1.garbage!!", "--state", $"/tmp/ssi-state-{Guid.NewGuid():N}");

        Assert.Equal(2, exit);
        Assert.Contains("join token", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public async Task Unknown_node_and_impossible_sizes_are_refused()
    {
        await using var box = await TestBox.UpAsync(1, output);

        var unknown = await Cli.RunAsync("nodes", "--box", box.Box.Name, "--node", "9");
        var zero = await Cli.RunAsync("nodes", "--box", box.Box.Name, "--node", "0");
        var size = await Cli.RunAsync("up", "-n", "0", "--box", ClusterBox.NewUniqueName());

        Assert.Equal(1, unknown.Exit);
        Assert.Contains("no node 9", unknown.Err);
        Assert.Equal(2, zero.Exit);
        Assert.Equal(2, size.Exit);
        Assert.Contains("1 to 254", size.Err);
    }

    [Fact]
    public async Task A_node_that_has_not_joined_yet_says_so()
    {
        await using var box = await TestBox.UpAsync(1, output);
        var lonely = await box.Box.AddNodeAsync();
        new NodeConfig
        {
            Name = lonely.Name,
            Listen = $"{lonely.Address}:{NodeConfig.DefaultIcsPort}",
            RaftListen = $"{lonely.Address}:{NodeConfig.DefaultRaftPort}",
            Socket = lonely.SocketPath,
            Seed = $"{box.Box.Subnet.ToString()[..^1]}200:{NodeConfig.DefaultIcsPort}", // nobody there
        }.Save(lonely.StateDirectory);
        File.Copy(Path.Combine(box.Box.Node(1).StateDirectory, NodeConfig.CredentialsFileName), Path.Combine(lonely.StateDirectory, NodeConfig.CredentialsFileName));
        box.Cluster.StartDaemon(lonely.Number);

        (int Exit, string Out, string Err) result = (0, "", "");
        for (var i = 0; i < 100 && !result.Err.Contains("has not joined", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            result = await Cli.RunAsync("nodes", "--box", box.Box.Name, "--node", lonely.Number.ToString());
        }

        Assert.Equal(1, result.Exit);
        Assert.Contains("has not joined the cluster yet", result.Err);
    }

    [Fact]
    public async Task Listings_are_json_with_json()
    {
        await using var box = await TestBox.UpAsync(2, output);

        var nodes = await Cli.RunAsync("nodes", "--box", box.Box.Name, "--json");
        var cluster = await Cli.RunAsync("cluster", "--box", box.Box.Name, "--node", "2", "--json");
        var events = await Cli.RunAsync("events", "--box", box.Box.Name, "--json");

        Assert.True(nodes.Exit == 0, nodes.Err);
        Assert.True(cluster.Exit == 0, cluster.Err);
        Assert.True(events.Exit == 0, events.Err);
        using var list = System.Text.Json.JsonDocument.Parse(nodes.Out);
        Assert.Equal(2, list.RootElement.GetProperty("nodes").GetArrayLength());
        using var info = System.Text.Json.JsonDocument.Parse(cluster.Out);
        Assert.Equal(2, info.RootElement.GetProperty("localNode").GetInt32());
        Assert.All(events.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => System.Text.Json.JsonDocument.Parse(line).Dispose());
        Assert.True(events.Out.Split('\n').Any(l => l.Contains("\"to\":\"Up\"")), $"no Up event in: '{events.Out}' (stderr: '{events.Err}')");
    }
}

/// <summary>Real hosts: 'ssi init' on one machine and 'ssi join TOKEN' on another (box nodes stand in for machines).</summary>
[Trait("Category", "Cluster")]
[Collection("box")]
public class HostCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Init_then_join_with_the_printed_token_forms_a_cluster()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 2);
        var (first, second) = (box.Node(1), box.Node(2));
        string State(BoxNode n) => Path.Combine(n.StateDirectory, "host");
        string Socket(BoxNode n) => Path.Combine(n.StateDirectory, "host.sock");

        var init = await Cli.RunInAsync(first, "init", "--cluster", "prod", "--name", "alpha", "--listen", first.Address.ToString(),
            "--state", State(first), "--socket", Socket(first));
        output.WriteLine(init.Out + init.Err);
        var token = init.Out.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ssi join ", StringComparison.Ordinal))["ssi join ".Length..];
        var again = await Cli.RunInAsync(first, "token", "--state", State(first));
        var join = await Cli.RunInAsync(second, "join", token, "--name", "beta", "--listen", second.Address.ToString(),
            "--state", State(second), "--socket", Socket(second));
        output.WriteLine(join.Out + join.Err);

        Assert.Equal(0, init.Exit);
        Assert.Equal(token, again.Out.Trim());
        Assert.Equal(0, join.Exit);
        await using var client = await DaemonClient.ConnectAsync(Socket(second));
        var deadline = DateTime.UtcNow + TestBox.Patience;
        Protocol.NodeList list;
        while ((list = await client.NodesAsync()).Nodes.Count(n => n.State == Protocol.NodeState.Up) < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal(["alpha", "beta"], list.Nodes.OrderBy(n => n.Number).Select(n => n.Name));
        Assert.Equal("prod", (await client.ClusterAsync()).Name);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(State(second), NodeConfig.CredentialsFileName)));

        var twice = await Cli.RunInAsync(second, "join", token, "--listen", second.Address.ToString(), "--state", State(second), "--socket", Socket(second));
        Assert.NotEqual(0, twice.Exit);
        Assert.Contains("already holds a node", twice.Err);
    }
}
