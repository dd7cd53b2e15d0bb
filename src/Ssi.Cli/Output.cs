using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;
using Ssi.Protocol;

namespace Ssi.Cli;

/// <summary>How results reach a person (tables) or a program (--json).</summary>
internal static class Output
{
    private static readonly ContractsJson Indented = new(new JsonSerializerOptions(ContractsJson.Default.Options) { WriteIndented = true });

    public static void Json<T>(T value, Func<ContractsJson, JsonTypeInfo<T>> type) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(value, type(Indented)));

    public static void Nodes(IReadOnlyList<NodeInfo> nodes)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("NODE", "NAME", "ADDRESS", "STATE", "ROLE", "UPTIME", "LOAD");
        foreach (var n in nodes)
        {
            table.AddRow(n.Number.ToString(), Markup.Escape(n.Name), Markup.Escape(n.Address), State(n.State),
                n.Role.ToString().ToLowerInvariant(), n.State == NodeState.Up && n.UpSince is { } since ? Duration(DateTimeOffset.UtcNow - since) : "-",
                n.Load is { } load ? load.ToString("0.00") : "-");
        }
        AnsiConsole.Write(table);
    }

    public static void Cluster(ClusterInfo c)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]cluster[/]", Markup.Escape(c.Name));
        grid.AddRow("[bold]id[/]", c.Id);
        grid.AddRow("[bold]quorum[/]", c.HasQuorum ? "[green]yes[/]" : "[red]LOST[/] (this node is in a minority partition)");
        grid.AddRow("[bold]master[/]", c.Master is { } m ? $"node {m}" : "[yellow]none[/]");
        grid.AddRow("[bold]epoch[/]", c.Epoch.ToString());
        grid.AddRow("[bold]members[/]", $"{c.Members} ({c.Up} up, {c.Voters} voting)");
        grid.AddRow("[bold]this node[/]", c.LocalNode > 0 ? $"node {c.LocalNode}" : "not joined yet");
        AnsiConsole.Write(grid);
    }

    // Plain lines: events are followed in pipes and logs, where wrapping would break them.
    public static void Event(NodeEvent e) =>
        Console.Out.WriteLine($"{e.Time.ToLocalTime():HH:mm:ss.fff}  epoch {e.Epoch,-5} node {e.Node,-3} {e.Name,-12} {Name(e.From),-9} -> {Name(e.To),-9}  {e.Reason}");

    public static string Name(NodeState state) => state switch
    {
        NodeState.ComingUp => "COMINGUP",
        NodeState.GoingDown => "GOINGDOWN",
        _ => state.ToString().ToUpperInvariant(),
    };

    public static string State(NodeState state) => state switch
    {
        NodeState.Up => "[green]UP[/]",
        NodeState.Down => "[red]DOWN[/]",
        NodeState.ComingUp => "[yellow]COMINGUP[/]",
        NodeState.GoingDown => "[yellow]GOINGDOWN[/]",
        _ => state.ToString(),
    };

    public static string Duration(TimeSpan t) => t.TotalSeconds < 60 ? $"{t.TotalSeconds:0}s"
        : t.TotalMinutes < 60 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s"
        : t.TotalHours < 48 ? $"{(int)t.TotalHours}h{t.Minutes:00}m"
        : $"{(int)t.TotalDays}d{t.Hours:00}h";

    public static void Step(string text) => AnsiConsole.MarkupLine($"[blue]==>[/] {Markup.Escape(text)}");

    public static void Error(string text) => Console.Error.WriteLine($"ssi: {text}");
}
