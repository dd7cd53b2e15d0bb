using System.Globalization;
using Ssi.Vproc.Wire;

namespace Ssi.Cli;

/// <summary>ps output as plain aligned text (it is read in pipes as much as on screens).</summary>
internal static class ProcessTable
{
    public static void Print(IReadOnlyList<ProcessRow> rows, bool tree)
    {
        var lines = new List<string[]> { new[] { "CPID", "NODE", "USER", "STAT", "%CPU", "RSS", "TIME", "COMMAND" } };
        foreach (var (row, depth) in tree ? Tree(rows) : rows.Select(r => (r, 0)))
        {
            var indent = depth == 0 ? "" : new string(' ', 2 * (depth - 1)) + "\\_ ";
            lines.Add([row.Id, row.Node.ToString(CultureInfo.InvariantCulture), row.User, row.Stat,
                row.CpuPercent.ToString("0.0", CultureInfo.InvariantCulture), row.RssKb.ToString(CultureInfo.InvariantCulture),
                Time(row.CpuMs), indent + row.Command]);
        }
        var widths = Enumerable.Range(0, 7).Select(i => lines.Max(l => l[i].Length)).ToArray();
        foreach (var line in lines)
        {
            var text = string.Join(' ', line.Take(7).Select((cell, i) => i is 4 or 5 or 6 ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i])));
            Console.Out.WriteLine(text + " " + line[7]);
        }
    }

    public static string Time(long ms)
    {
        var t = TimeSpan.FromMilliseconds(ms);
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
    }

    // Each cluster process group with its leader's job first and the group's other jobs (started
    // from inside it, on any node) under it; each job's processes under its program, by parent
    // pid; ordinary processes after.
    private static IEnumerable<(ProcessRow Row, int Depth)> Tree(IReadOnlyList<ProcessRow> rows)
    {
        foreach (var group in rows.Where(r => r.Cpid != 0).GroupBy(r => r.Group).OrderBy(g => g.Key))
        {
            foreach (var job in group.GroupBy(r => (r.Cpid, r.Node)).OrderBy(j => j.Key.Cpid == group.Key ? 0 : 1).ThenBy(j => j.Key.Cpid))
            {
                var offset = job.Key.Cpid == group.Key || group.All(r => r.Cpid != group.Key) ? 0 : 1;
                var members = job.ToList();
                var pids = members.Select(m => m.Pid).ToHashSet();
                var roots = members.Where(m => !pids.Contains(m.ParentPid)).OrderBy(m => m.Id == m.Cpid.ToString(CultureInfo.InvariantCulture) ? 0 : 1).ThenBy(m => m.Pid);
                foreach (var root in roots)
                {
                    foreach (var item in Walk(root, members, offset))
                        yield return item;
                }
            }
        }
        foreach (var row in rows.Where(r => r.Cpid == 0))
            yield return (row, 0);
    }

    private static IEnumerable<(ProcessRow, int)> Walk(ProcessRow row, List<ProcessRow> members, int depth)
    {
        yield return (row, depth);
        foreach (var child in members.Where(m => m.ParentPid == row.Pid).OrderBy(m => m.Pid))
        {
            foreach (var item in Walk(child, members, depth + 1))
                yield return item;
        }
    }
}
