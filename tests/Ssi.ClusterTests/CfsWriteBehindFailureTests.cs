using System.Diagnostics;
using Ssi.Box;

namespace Ssi.ClusterTests;

public partial class CfsTests
{
    // A remote writer alone on a file keeps its writes in flight under write-behind
    // (docs/cfs-consistency.md). If its node dies, what fsync acknowledged is on the server,
    // later writes may be lost with the node (as on a crashed machine), and the file is free for
    // every other node at once: no grant outlives its node.
    [Fact]
    public async Task A_writer_node_that_dies_with_writes_in_flight_keeps_what_fsync_acknowledged_and_frees_the_file()
    {
        await using var box = await UpWithCfsAsync(3);
        const int Synced = 1 << 20, InFlight = 4 << 20;
        const string Writer = """
            import os, sys, time
            fd = os.open("/cluster/wb", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, b"A" * (1 << 20))
            os.fsync(fd)
            for _ in range(64):
                os.write(fd, b"B" * (64 << 10))
            print("WRITTEN", flush=True)
            time.sleep(600)
            """;
        box.Box.Node(2).Start(new NodeCommand("writer", "python3", ["-c", Writer]));
        await WaitForLogAsync(box.Box.Node(2), "writer", "WRITTEN");

        var clock = Stopwatch.StartNew();
        await box.Cluster.KillDaemonAsync(2);
        string? content = null;
        await WaitForAsync(async () =>
        {
            var read = await box.Box.Node(3).RunAsync("python3", "-c", "import sys; d = open('/cluster/wb', 'rb').read(); print(len(d), d[:1 << 20].count(b'A'), d[1 << 20:].count(b'B'))");
            content = read.StandardOutput.Trim();
            return read.Succeeded;
        }, () => $"node 3 reads the file of dead node 2; node 1's CFS log:\n{CfsLog(box.Box.Node(1))}");
        output.WriteLine($"node 3 read the dead writer's file {clock.ElapsedMilliseconds} ms after the kill: length, A count, B count = {content}");

        var fields = content!.Split(' ').Select(long.Parse).ToArray();
        Assert.InRange(fields[0], Synced, Synced + InFlight);
        Assert.Equal(Synced, fields[1]);
        Assert.Equal(fields[0] - Synced, fields[2]);
        Assert.True((await Sh(box.Box.Node(3), "echo mine > /cluster/wb && cat /cluster/wb")).StandardOutput.Trim() == "mine",
            "node 3 can write the file once its writer's node is gone");
        await box.Box.Node(2).KillAsync("writer");
    }
}
