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

            Banner("The cluster is still up");
            Console.WriteLine($"  ssi nodes            list the nodes (--json for programs, --node K for node K's view)");
            Console.WriteLine($"  ssi cluster          quorum, master, epoch");
            Console.WriteLine($"  ssi events -f        follow node events");
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
