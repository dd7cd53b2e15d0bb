using System.Collections.Concurrent;
using System.Diagnostics;
using Ssi.Box;
using Ssi.Client;
using Ssi.Protocol;

namespace Ssi.Bench;

/// <summary>
/// How fast every survivor learns that a node died (daemon killed, or its link cut), and what
/// one replicated membership commit costs. Each survivor's view is read from its own event
/// stream, timed on arrival.
/// </summary>
internal static class MembershipBench
{
    private const int Rounds = 5;
    private const int Commits = 1000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(Report report)
    {
        Environment.SetEnvironmentVariable("SSI_SSID", Environment.GetEnvironmentVariable("SSI_SSID") ?? Path.Combine(AppContext.BaseDirectory, "ssid"));
        await using var cluster = await BoxCluster.UpAsync(ClusterBox.NewUniqueName("b"), 3, Patience);

        var killed = new Samples();
        var killedMaster = new Samples();
        var cut = new Samples();
        for (var round = 0; round < Rounds; round++)
        {
            var master = (await cluster.ClusterAsync(1)).Master ?? 1;
            var victim = master == 3 ? 2 : 3;
            await MeasureAsync(cluster, victim, killed, () => cluster.KillDaemonAsync(victim), async () =>
            {
                cluster.StartDaemon(victim);
                await Task.CompletedTask;
            });
        }
        for (var round = 0; round < 3; round++)
        {
            var master = (await cluster.ClusterAsync(1)).Master ?? 1;
            await MeasureAsync(cluster, master, killedMaster, () => cluster.KillDaemonAsync(master), async () =>
            {
                cluster.StartDaemon(master);
                await Task.CompletedTask;
            });
        }
        for (var round = 0; round < Rounds; round++)
        {
            var master = (await cluster.ClusterAsync(1)).Master ?? 1;
            var victim = master == 3 ? 2 : 3;
            await MeasureAsync(cluster, victim, cut, () => cluster.Box.Node(victim).CutLinkAsync(), () => cluster.Box.Node(victim).RestoreLinkAsync());
        }

        var commits = new Samples();
        var roundTrips = new Samples();
        await using (var client = await cluster.ConnectAsync(1))
        {
            for (var i = 0; i < Commits + 100; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var took = await client.MeasureCommitAsync();
                if (i >= 100)
                {
                    commits.Add(took);
                    roundTrips.Add(Stopwatch.GetElapsedTime(started));
                }
            }
        }

        report.Columns("measure", "p50", "max (or p99)", "samples", "target");
        report.Row("killed node (kill -9 ssid) → DOWN at each survivor", Report.Us(killed.P50), Report.Us(killed.Max), killed.Count.ToString(), "< 1 s (aim 500 ms)");
        report.Row("killed master → DOWN at each survivor (election included)", Report.Us(killedMaster.P50), Report.Us(killedMaster.Max), killedMaster.Count.ToString(), "< 1 s");
        report.Row("cut link (veth down) → DOWN at each survivor", Report.Us(cut.P50), Report.Us(cut.Max), cut.Count.ToString(), "< 1 s");
        report.Row("Raft commit of one membership entry (at the master)", Report.Us(commits.P50), Report.Us(commits.P99) + " (p99)", commits.Count.ToString(), "");
        report.Row("same, seen by a client on node 1 (socket + forward)", Report.Us(roundTrips.P50), Report.Us(roundTrips.P99) + " (p99)", roundTrips.Count.ToString(), "");
        report.Note("3-node cluster-in-a-box, heartbeats every 100 ms, suspicion after 400 ms, one 150 ms probe, Raft election timeout 150-300 ms.");
        report.Note("Detection time runs from the moment the kill (or link cut) returned to the arrival of the DOWN event on each survivor's 'ssi events --follow' stream.");
    }

    private static async Task MeasureAsync(BoxCluster cluster, int victim, Samples samples, Func<Task> fail, Func<Task> repair)
    {
        var survivors = cluster.Nodes.Select(n => n.Number).Where(n => n != victim).ToArray();
        using var stop = new CancellationTokenSource(Patience);
        var arrivals = new ConcurrentDictionary<int, long>();
        var watchers = new List<Task>();
        foreach (var survivor in survivors)
        {
            var client = await cluster.ConnectAsync(survivor);
            var epoch = (await client.ClusterAsync()).Epoch;
            watchers.Add(Task.Run(async () =>
            {
                await using (client)
                {
                    await foreach (var e in client.EventsAsync(epoch, follow: true, stop.Token))
                    {
                        if (e.Node == victim && e.To == NodeState.Down)
                        {
                            arrivals[survivor] = Stopwatch.GetTimestamp();
                            return;
                        }
                    }
                }
            }));
        }
        await Task.Delay(200);
        await fail();
        var failedAt = Stopwatch.GetTimestamp();
        await Task.WhenAll(watchers);
        foreach (var (_, at) in arrivals)
            samples.Add(Stopwatch.GetElapsedTime(failedAt, at));
        await repair();
        await cluster.WaitForClusterAsync(survivors[0], c => c.Up == cluster.Nodes.Count && c.Voters == cluster.Nodes.Count && c.HasQuorum, Patience);
        await cluster.WaitForAsync(victim, l => l.Nodes.All(n => n.State == NodeState.Up), Patience);
    }
}
