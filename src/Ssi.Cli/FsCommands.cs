using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Ssi.Cfs;

namespace Ssi.Cli;

/// <summary><c>ssi fs</c>: the cluster filesystem.</summary>
internal static class FsCommands
{
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(8);

    public static Command Create()
    {
        var status = new Command("status", "Show the cluster filesystem: the server, each node's mount, open files and locks per node");
        status.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            await using var client = await ListCommands.Connect(parse, ct);
            var reply = await client.Connection.RequestAsync(CfsMethods.Status, ReadOnlyMemory<byte>.Empty, StatusTimeout, ct);
            var cluster = JsonSerializer.Deserialize(reply, CfsJson.Default.CfsClusterStatus)
                ?? throw new Protocol.SsiException(Protocol.Status.Internal, "the daemon sent an empty CFS status");
            if (parse.GetValue(GlobalOptions.Json))
            {
                var indented = new CfsJson(new JsonSerializerOptions(CfsJson.Default.Options) { WriteIndented = true });
                Console.Out.WriteLine(JsonSerializer.Serialize(cluster, indented.CfsClusterStatus));
            }
            else
            {
                Print(cluster);
            }
            return cluster.Server is null || cluster.Nodes.Any(n => n.State != "attached") ? 3 : 0;
        }));
        return new Command("fs", "The cluster filesystem (CFS) mounted at /cluster on every node") { status };
    }

    private static void Print(CfsClusterStatus cluster)
    {
        if (cluster.Server is { } server)
            AnsiConsole.MarkupLine($"[bold]server[/]  node {server.Node} exports {Markup.Escape(server.Export)} (instance {server.Instance})");
        else
            AnsiConsole.MarkupLine("[red]server unreachable[/]: operations on /cluster fail with ENOTCONN until it returns");
        var held = cluster.Server?.Clients.ToDictionary(c => c.Node) ?? [];
        var table = new Table().Border(TableBorder.Simple).AddColumns("NODE", "MOUNT", "STATE", "OPS", "INVAL", "HELD", "OPEN", "LOCKS");
        foreach (var n in cluster.Nodes.OrderBy(n => n.Node))
        {
            held.TryGetValue(n.Node, out var h);
            string state = n.State switch
            {
                "attached" => "[green]attached[/]",
                "detached" => "[red]detached[/]",
                _ => $"[yellow]{Markup.Escape(n.State)}[/]",
            };
            if (n.Mounts > 1)
                state += $" ({n.Mounts} mounts)";
            table.AddRow(n.Node.ToString(), Markup.Escape(n.MountPoint), state, n.Requests.ToString(), n.Invalidations.ToString(),
                h?.Nodes.ToString() ?? "-", h is null ? "-" : $"{h.OpenFiles}/{h.OpenDirectories}", h is null ? "-" : $"{h.LockOwners}/{h.LockWaits}");
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey]OPS: operations sent to the server; INVAL: invalidations applied; HELD: nodes its kernel holds; OPEN: files/directories; LOCKS: lock owners/waiting requests[/]");
        foreach (var problem in cluster.Unreachable)
            AnsiConsole.MarkupLine($"[yellow]unreachable[/] {Markup.Escape(problem)}");
        foreach (var n in cluster.Nodes.Where(n => n.Error is not null && n.State != "attached"))
            AnsiConsole.MarkupLine($"[yellow]node {n.Node}[/]: {Markup.Escape(n.Error!)}");
    }
}
