using System.CommandLine;
using System.Diagnostics;
using Ssi.Box;
using Ssi.Client;
using Ssi.Protocol;

namespace Ssi.Cli;

/// <summary>A guided tour: a 3-node cluster forms, loses a node, keeps quorum, and gets it back.</summary>
internal static class DemoCommand
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var command = new Command("demo", "Bring up a 3-node cluster on this machine and show it at work");
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            CommandLine.RequireRoot("demo");
            var name = parse.GetValue(GlobalOptions.Box)!;
            if (ClusterBox.List().Any(b => b.Name == name))
            {
                Output.Step($"removing the existing box '{name}' first");
                await ClusterBox.DestroyAsync(name, cancellationToken: ct);
            }
            await ClusterBox.CleanupStaleAsync(cancellationToken: ct);

            Banner("1. A cluster forms: three nodes, each in its own network and mount namespace, one ssid each");
            var cluster = await BoxCluster.UpAsync(name, 3, Patience, new Reporter(), ct);
            cluster.Box.ReleaseOwnership();
            await ShowAsync(cluster, 1, ct);

            Banner("2. Node 2's daemon is killed (kill -9); the survivors declare it DOWN and keep quorum");
            var clock = Stopwatch.StartNew();
            await cluster.KillDaemonAsync(2, 9, ct);
            await cluster.WaitForAsync(1, l => StateOf(l, 2) == NodeState.Down, Patience, ct);
            var detected = clock.Elapsed;
            await cluster.WaitForAsync(3, l => StateOf(l, 2) == NodeState.Down, Patience, ct);
            Output.Step($"node 1 saw node 2 DOWN {detected.TotalMilliseconds:0} ms after the kill; node 3 by {clock.Elapsed.TotalMilliseconds:0} ms");
            await ShowAsync(cluster, 1, ct);

            Banner("3. Node 2's daemon restarts and rejoins with the same node number");
            clock.Restart();
            cluster.StartDaemon(2);
            await cluster.WaitForAsync(1, l => StateOf(l, 2) == NodeState.Up, Patience, ct);
            Output.Step($"node 2 UP again after {clock.Elapsed.TotalSeconds:0.0} s (including the daemon's start)");
            await ShowAsync(cluster, 2, ct);

            Banner("4. Every node saw the same events in the same order (ssi events)");
            await using (var client = await cluster.ConnectAsync(3, ct))
            {
                await foreach (var e in client.EventsAsync(0, follow: false, ct))
                    Output.Event(e);
            }

            var shell = new DemoShell(name);
            Banner("5. One process space: programs run on any node as if they ran here");
            await shell.RunAsync("ssi run -n 2 -- seq 1 1000000 | ssi run -n 3 -- wc -l", expect: 0);
            await shell.RunAsync("ssi run -n 2 -- sh -c 'echo running on node $SSI_NODE as cluster process $SSI_CPID; exit 7'", expect: 7);
            var job = (await shell.RunAsync("ssi run -d -n 1 -- sh -c 'ssi run -d -n 2 -- sleep 600; ssi run -d -n 3 -- sleep 600; exec sleep 600'", expect: 0)).Trim();
            await Task.Delay(1500, ct);
            await shell.RunAsync("ssi ps", expect: 0);
            await shell.RunAsync("ssi ps --tree", expect: 0);
            await shell.RunAsync($"ssi kill -TERM -- -{job}    # the job's process group, on nodes 1, 2 and 3", expect: 0);
            await Task.Delay(1000, ct);
            await shell.RunAsync("ssi ps", expect: 0);

            Banner("6. One filesystem: /cluster is the same tree on every node, with clusterwide locks");
            await shell.RunAsync("ssi run -n 1 -- sh -c 'echo written on node $SSI_NODE > /cluster/hello.txt'", expect: 0);
            await shell.RunAsync("ssi run -n 3 -- cat /cluster/hello.txt", expect: 0);
            var holder = shell.Start("ssi run -n 2 -- flock /cluster/demo.lock sleep 3");
            await Task.Delay(1000, ct);
            await shell.RunAsync("ssi run -n 3 -- flock -n /cluster/demo.lock echo 'got the lock'    # node 2 holds it: fails", expect: 1);
            await shell.RunAsync("ssi run -n 3 -- flock /cluster/demo.lock echo 'got the lock once node 2 let go'", expect: 0);
            await holder;
            await shell.RunAsync("ssi fs status", expect: 0);

            Banner("The cluster is still up");
            Console.WriteLine($"  ssi nodes            list the nodes (--json for programs, --node K for node K's view)");
            Console.WriteLine($"  ssi cluster          quorum, master, epoch");
            Console.WriteLine($"  ssi events -f        follow node events");
            Console.WriteLine($"  ssi run -n 2 -t bash an interactive shell on node 2");
            Console.WriteLine($"  ssi top              the cluster's processes, live");
            Console.WriteLine($"  ssi down             stop it and remove everything it made");
            return 0;
        }));
        return command;
    }

    private static NodeState? StateOf(NodeList list, int node) => list.Nodes.FirstOrDefault(n => n.Number == node)?.State;

    private static async Task ShowAsync(BoxCluster cluster, int viewFrom, CancellationToken ct)
    {
        Console.WriteLine($"$ ssi nodes --node {viewFrom}");
        Output.Nodes((await cluster.NodesAsync(viewFrom, ct)).Nodes);
        Console.WriteLine($"$ ssi cluster --node {viewFrom}");
        Output.Cluster(await cluster.ClusterAsync(viewFrom, ct));
        Console.WriteLine();
    }

    private static void Banner(string text)
    {
        Console.WriteLine();
        Spectre.Console.AnsiConsole.MarkupLine($"[bold yellow]{Spectre.Console.Markup.Escape(text)}[/]");
    }

    private sealed class Reporter : IProgress<string>
    {
        public void Report(string value) => Output.Step(value);
    }
}
