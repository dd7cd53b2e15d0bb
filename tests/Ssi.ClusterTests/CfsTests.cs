using System.Diagnostics;
using System.Text.Json;
using Ssi.Box;
using Ssi.Cfs;
using Ssi.Protocol;
using Xunit.Abstractions;

namespace Ssi.ClusterTests;

/// <summary>The cluster filesystem on real box nodes: one tree at /cluster on every node, served by node 1.</summary>
[Trait("Category", "Cluster")]
[Collection("box")]
public partial class CfsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan MountBound = TimeSpan.FromSeconds(30);

    private async Task<TestBox> UpWithCfsAsync(int nodes)
    {
        var box = await TestBox.UpAsync(nodes, output);
        var clock = Stopwatch.StartNew();
        foreach (var node in box.Box.Nodes)
        {
            while (true)
            {
                var link = await node.RunAsync("readlink", "/cluster/node");
                if (link.Succeeded && link.StandardOutput.Trim() == $"nodes/{node.Number}")
                    break;
                Assert.True(clock.Elapsed < MountBound, $"node {node.Number} did not mount /cluster: {link.StandardError}");
                await Task.Delay(100);
            }
        }
        output.WriteLine($"/cluster mounted on {nodes} nodes in {clock.ElapsedMilliseconds} ms");
        return box;
    }

    private static async Task<CommandResult> Sh(BoxNode node, string script) => await node.RunAsync("sh", "-c", script);

    [Fact]
    public async Task A_file_written_on_node_1_is_read_on_node_3_and_stat_on_node_2()
    {
        await using var box = await UpWithCfsAsync(3);
        for (int i = 0; i < 5; i++)
        {
            var write = await Sh(box.Box.Node(1 + i % 3), $"printf 'round {i}' > /cluster/shared");
            Assert.True(write.Succeeded, write.StandardError);
            var read = await box.Box.Node(3 - i % 3).RunAsync("cat", "/cluster/shared");
            Assert.Equal($"round {i}", read.StandardOutput);
            var stat = await box.Box.Node(2).RunAsync("stat", "-c", "%s", "/cluster/shared");
            Assert.Equal($"round {i}".Length.ToString(), stat.StandardOutput.Trim());
        }
        var mkdir = await Sh(box.Box.Node(2), "mkdir /cluster/dir && echo x > /cluster/dir/f && mv /cluster/dir/f /cluster/dir/g");
        Assert.True(mkdir.Succeeded, mkdir.StandardError);
        Assert.Equal("g", (await box.Box.Node(3).RunAsync("ls", "/cluster/dir")).StandardOutput.Trim());
        Assert.False((await box.Box.Node(1).RunAsync("test", "-e", "/cluster/dir/f")).Succeeded);
        Assert.Equal("x", File.ReadAllText(Path.Combine(box.Box.Node(1).StateDirectory, "export", "dir", "g")).Trim());
    }

    [Fact]
    public async Task Cluster_node_is_each_nodes_own_directory()
    {
        await using var box = await UpWithCfsAsync(3);
        foreach (var node in box.Box.Nodes)
        {
            var write = await Sh(node, $"echo 'I am {node.Number}' > /cluster/node/whoami");
            Assert.True(write.Succeeded, write.StandardError);
        }
        foreach (var node in box.Box.Nodes)
        {
            Assert.Equal($"I am {node.Number}", (await node.RunAsync("cat", "/cluster/node/whoami")).StandardOutput.Trim());
            Assert.Equal("I am 2", (await node.RunAsync("cat", "/cluster/nodes/2/whoami")).StandardOutput.Trim());
        }
    }

    [Fact]
    public async Task Exactly_one_node_wins_an_O_EXCL_race_from_every_node()
    {
        await using var box = await UpWithCfsAsync(3);
        for (int round = 0; round < 10; round++)
        {
            // The shell's noclobber opens with O_CREAT|O_EXCL.
            var results = await Task.WhenAll(box.Box.Nodes.SelectMany(n => Enumerable.Range(0, 2).Select(_ =>
                Sh(n, $"set -C; echo {n.Number} > /cluster/race-{round} 2>/dev/null && echo WON"))));
            Assert.Single(results, r => r.StandardOutput.Contains("WON"));
        }
    }

    [Fact]
    public async Task A_lock_held_on_one_node_blocks_another_until_its_process_dies()
    {
        await using var box = await UpWithCfsAsync(3);
        Assert.True((await Sh(box.Box.Node(1), "touch /cluster/lk")).Succeeded);
        box.Box.Node(2).Start(new NodeCommand("locker", "flock", ["-o", "/cluster/lk", "-c", "echo LOCKED; exec sleep 600"]));
        await WaitForLogAsync(box.Box.Node(2), "locker", "LOCKED");
        Assert.Equal(1, (await box.Box.Node(3).RunAsync("flock", "-n", "/cluster/lk", "-c", "true")).ExitCode);

        var clock = Stopwatch.StartNew();
        await box.Box.Node(2).KillAsync("locker");
        await WaitForAsync(async () => (await box.Box.Node(3).RunAsync("flock", "-n", "/cluster/lk", "-c", "true")).Succeeded, "the dead process's lock was released");
        output.WriteLine($"lock released {clock.ElapsedMilliseconds} ms after the holder was killed");
    }

    [Fact]
    public async Task Locks_of_a_dead_node_are_released_and_a_dead_server_fails_fast_then_reattaches()
    {
        await using var box = await UpWithCfsAsync(3);
        Assert.True((await Sh(box.Box.Node(1), "echo kept > /cluster/data && touch /cluster/lk")).Succeeded);
        box.Box.Node(2).Start(new NodeCommand("locker", "flock", ["-o", "/cluster/lk", "-c", "echo LOCKED; exec sleep 600"]));
        await WaitForLogAsync(box.Box.Node(2), "locker", "LOCKED");
        Assert.Equal(1, (await box.Box.Node(3).RunAsync("flock", "-n", "/cluster/lk", "-c", "true")).ExitCode);

        var clock = Stopwatch.StartNew();
        await box.Cluster.KillDaemonAsync(2);
        await WaitForAsync(async () => (await box.Box.Node(3).RunAsync("flock", "-n", "/cluster/lk", "-c", "true")).Succeeded,
            () => "the dead node's lock was released; node 1's CFS log:\n" + CfsLog(box.Box.Node(1)));
        output.WriteLine($"lock of dead node 2 released after {clock.ElapsedMilliseconds} ms");
        await box.Box.Node(2).KillAsync("locker");

        clock.Restart();
        await box.Cluster.KillDaemonAsync(1);
        await WaitForAsync(async () =>
        {
            var stat = await box.Box.Node(3).RunAsync("stat", "/cluster/data");
            return !stat.Succeeded && stat.StandardError.Contains("Transport endpoint is not connected");
        }, "operations fail with ENOTCONN while the server is down");
        var failing = Stopwatch.StartNew();
        var ls = await box.Box.Node(3).RunAsync("cat", "/cluster/data");
        Assert.False(ls.Succeeded);
        output.WriteLine($"server down: ENOTCONN {clock.ElapsedMilliseconds} ms after the kill; a failing call took {failing.ElapsedMilliseconds} ms: {ls.StandardError.Trim()}");

        box.Cluster.StartDaemon(1);
        clock.Restart();
        await WaitForAsync(async () => (await box.Box.Node(3).RunAsync("cat", "/cluster/data")).StandardOutput.Trim() == "kept", "node 3 reattached");
        output.WriteLine($"node 3 reattached {clock.ElapsedMilliseconds} ms after the server restarted");
        await WaitForAsync(async () => (await box.Box.Node(1).RunAsync("cat", "/cluster/data")).StandardOutput.Trim() == "kept", "the restarted server node mounted its own tree again");
    }

    [Fact]
    public async Task Fs_status_shows_the_server_every_mount_and_the_open_files()
    {
        await using var box = await UpWithCfsAsync(3);
        box.Box.Node(3).Start(new NodeCommand("holder", "sh", ["-c", "exec 3>/cluster/open; echo OPEN; exec sleep 600"]));
        await WaitForLogAsync(box.Box.Node(3), "holder", "OPEN");
        await using var client = await box.Cluster.ConnectAsync(2);
        var reply = await client.Connection.RequestAsync(CfsMethods.Status, ReadOnlyMemory<byte>.Empty, TimeSpan.FromSeconds(8));
        var status = JsonSerializer.Deserialize(reply, CfsJson.Default.CfsClusterStatus)!;
        output.WriteLine(JsonSerializer.Serialize(status, CfsJson.Default.CfsClusterStatus));
        Assert.Equal(1, status.Server!.Node);
        Assert.Equal([1, 2, 3], status.Nodes.Select(n => n.Node).Order());
        Assert.All(status.Nodes, n => Assert.Equal("attached", n.State));
        Assert.True(status.Server.Clients.Single(c => c.Node == 3).OpenFiles >= 1);
        await box.Box.Node(3).KillAsync("holder");
    }

    private static async Task WaitForLogAsync(BoxNode node, string process, string line)
    {
        var log = Path.Combine(node.StateDirectory, process + ".log");
        await WaitForAsync(() => Task.FromResult(File.Exists(log) && File.ReadAllText(log).Contains(line)), $"{process} on node {node.Number} printed {line}");
    }

    private static Task WaitForAsync(Func<Task<bool>> condition, string what) => WaitForAsync(condition, () => what);

    private static async Task WaitForAsync(Func<Task<bool>> condition, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"timed out waiting until {what()}");
            await Task.Delay(100);
        }
    }

    private static string CfsLog(BoxNode node)
    {
        var log = Path.Combine(node.StateDirectory, "ssid.log");
        return File.Exists(log)
            ? string.Join("\n", File.ReadLines(log).Where(l => l.Contains("cfs", StringComparison.OrdinalIgnoreCase) || l.Contains("clms", StringComparison.Ordinal)).TakeLast(30))
            : "(no log)";
    }
}
