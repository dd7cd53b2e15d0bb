using System.CommandLine;
using Ssi.Box;
using Ssi.Client;

namespace Ssi.Cli;

/// <summary>The cluster-in-a-box: up and down.</summary>
internal static class BoxCommands
{
    public static Command Up()
    {
        var nodes = new Option<int>("-n", "--nodes") { Description = "Number of nodes", DefaultValueFactory = _ => 3 };
        var command = new Command("up", "Start a cluster of N nodes on this machine (network + mount namespaces, one ssid each)") { nodes };
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            CommandLine.RequireRoot("up");
            var count = parse.GetValue(nodes);
            if (count is < 1 or > BoxAddressPlan.MaxNodes)
                throw new Protocol.SsiException(Protocol.Status.InvalidArgument, $"-n {count}: a box holds 1 to {BoxAddressPlan.MaxNodes} nodes");
            var name = parse.GetValue(GlobalOptions.Box)!;
            var removed = await ClusterBox.CleanupStaleAsync(cancellationToken: ct);
            foreach (var stale in removed)
                Output.Step($"removed stale box '{stale}' left by an earlier run");
            var started = DateTime.UtcNow;
            var cluster = await BoxCluster.UpAsync(name, count, TimeSpan.FromSeconds(30 + count * 5), new SyncProgress(Output.Step), ct);
            cluster.Box.ReleaseOwnership();
            Output.Step($"{count} nodes UP in {(DateTime.UtcNow - started).TotalSeconds:0.0} s; 'ssi nodes' shows them, 'ssi down' removes them");
            Output.Nodes((await cluster.NodesAsync(1, ct)).Nodes);
            return 0;
        }));
        return command;
    }

    public static Command Down()
    {
        var command = new Command("down", "Stop the box's daemons and remove its namespaces, mounts and files (also after a crash)");
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            CommandLine.RequireRoot("down");
            var name = parse.GetValue(GlobalOptions.Box)!;
            var existed = ClusterBox.List().Any(b => b.Name == name);
            await ClusterBox.DestroyAsync(name, cancellationToken: ct);
            var removed = await ClusterBox.CleanupStaleAsync(cancellationToken: ct);
            Output.Step(existed ? $"box '{name}' removed" : $"no box '{name}' here; nothing to remove");
            foreach (var stale in removed)
                Output.Step($"removed stale box '{stale}'");
            return 0;
        }));
        return command;
    }

    /// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; would post to the pool).</summary>
    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
