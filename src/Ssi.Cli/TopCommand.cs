using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Ssi.Vproc.Client;
using Ssi.Vproc.Wire;

namespace Ssi.Cli;

/// <summary><c>ssi top</c>: a live clusterwide view of cluster processes, busiest first; q or Ctrl-C leaves.</summary>
internal static class TopCommand
{
    public static Command Create()
    {
        var delay = new Option<double>("--delay") { Description = "Seconds between refreshes", DefaultValueFactory = _ => 1.0 };
        var all = new Option<bool>("-A") { Description = "Also every node's ordinary processes" };
        var command = new Command("top", "Live view of the cluster's processes, sorted by CPU use (q or Ctrl-C to quit)") { delay, all };
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            await using var client = await ListCommands.Connect(parse, ct);
            var vproc = new VprocClient(client.Connection);
            var interval = TimeSpan.FromSeconds(Math.Max(0.2, parse.GetValue(delay)));
            using var quit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _ = Task.Run(() => WatchKeys(quit), CancellationToken.None);
            var previous = new Dictionary<(int, int), long>();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var table = new Table().Border(TableBorder.Simple);
            await AnsiConsole.Live(table).AutoClear(false).StartAsync(async live =>
            {
                while (!quit.IsCancellationRequested)
                {
                    var list = await vproc.PsAsync(parse.GetValue(all), quit.Token);
                    var elapsed = clock.Elapsed.TotalMilliseconds;
                    clock.Restart();
                    var rows = list.Processes.Select(r =>
                    {
                        // CPU over the last interval when seen before, else over its lifetime.
                        var share = previous.TryGetValue((r.Node, r.Pid), out var before) && elapsed > 0 ? 100.0 * (r.CpuMs - before) / elapsed : r.CpuPercent;
                        return (Row: r, Cpu: Math.Max(0, share));
                    }).OrderByDescending(x => x.Cpu).ThenBy(x => x.Row.Id).ToList();
                    previous = list.Processes.ToDictionary(r => (r.Node, r.Pid), r => r.CpuMs);
                    Render(table, rows, list);
                    live.Refresh();
                    try
                    {
                        await Task.Delay(interval, quit.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            });
            return 0;
        }));
        return command;
    }

    private static void Render(Table table, List<(ProcessRow Row, double Cpu)> rows, ProcessList list)
    {
        table.Rows.Clear();
        if (table.Columns.Count == 0)
            table.AddColumns("CPID", "NODE", "USER", "STAT", "%CPU", "RSS", "TIME", "COMMAND");
        var nodes = rows.Select(r => r.Row.Node).Distinct().Count();
        table.Title = new TableTitle($"ssi top — {rows.Count} processes on {nodes} nodes, {DateTime.Now:HH:mm:ss} (q to quit)");
        var height = Math.Max(5, Console.WindowHeight - 8);
        foreach (var (row, cpu) in rows.Take(height))
        {
            table.AddRow(row.Id, row.Node.ToString(CultureInfo.InvariantCulture), Markup.Escape(row.User), row.Stat,
                cpu.ToString("0.0", CultureInfo.InvariantCulture), row.RssKb.ToString(CultureInfo.InvariantCulture), ProcessTable.Time(row.CpuMs),
                Markup.Escape(row.Command.Length > 60 ? row.Command[..60] : row.Command));
        }
        table.Caption = list.Unreachable.Count == 0 ? null : new TableTitle(Markup.Escape("not listed: " + string.Join("; ", list.Unreachable)));
    }

    private static void WatchKeys(CancellationTokenSource quit)
    {
        try
        {
            while (!quit.IsCancellationRequested)
            {
                if (!Console.KeyAvailable)
                {
                    Thread.Sleep(50);
                    continue;
                }
                var key = Console.ReadKey(intercept: true);
                if (key.KeyChar is 'q' or 'Q' || key is { Key: ConsoleKey.C, Modifiers: ConsoleModifiers.Control })
                    quit.Cancel();
            }
        }
        catch (InvalidOperationException)
        {
            // No console to read keys from (redirected input): Ctrl-C still quits.
        }
    }
}
