using System.CommandLine;
using Ssi.Protocol;

namespace Ssi.Cli;

/// <summary>Read-only views: nodes, cluster, events.</summary>
internal static class ListCommands
{
    public static Command Nodes()
    {
        var command = new Command("nodes", "List the cluster's nodes: number, name, address, state, role, uptime, load");
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            await using var client = await Connect(parse, ct);
            var list = await client.NodesAsync(ct);
            if (parse.GetValue(GlobalOptions.Json))
                Output.Json(list, j => j.NodeList);
            else
                Output.Nodes(list.Nodes);
            return 0;
        }));
        return command;
    }

    public static Command Cluster()
    {
        var command = new Command("cluster", "Show the cluster: name, id, quorum, master, epoch, members");
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            await using var client = await Connect(parse, ct);
            var info = await client.ClusterAsync(ct);
            if (parse.GetValue(GlobalOptions.Json))
                Output.Json(info, j => j.ClusterInfo);
            else
                Output.Cluster(info);
            return info.HasQuorum ? 0 : 3;
        }));
        return command;
    }

    public static Command Events()
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing events as they happen (Ctrl-C to stop)" };
        var after = new Option<long>("--after") { Description = "Only events after this epoch" };
        var command = new Command("events", "Print node events (joins, UP, DOWN) in cluster order") { follow, after };
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            await using var client = await Connect(parse, ct);
            var json = parse.GetValue(GlobalOptions.Json);
            try
            {
                await foreach (var e in client.EventsAsync(parse.GetValue(after), parse.GetValue(follow), ct))
                {
                    if (json)
                        Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(e, ContractsJson.Default.NodeEvent));
                    else
                        Output.Event(e);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (IOException e)
            {
                throw new SsiException(Status.Unavailable, $"the daemon went away: {e.Message}");
            }
            return 0;
        }));
        return command;
    }

    public static Task<Client.DaemonClient> Connect(ParseResult parse, CancellationToken ct) =>
        Target.ConnectAsync(parse.GetValue(GlobalOptions.Socket), parse.GetValue(GlobalOptions.Node), parse.GetValue(GlobalOptions.Box)!, ct);
}
