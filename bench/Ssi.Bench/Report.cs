using System.Text;

namespace Ssi.Bench;

/// <summary>One benchmark's table: printed, and kept in its own section of docs/benchmarks.md.</summary>
internal sealed class Report(string name, string command)
{
    private readonly List<string[]> _rows = [];
    private readonly List<string> _notes = [];
    private string[] _header = [];

    public string Name { get; } = name;

    public void Columns(params string[] header) => _header = header;

    public void Row(params string[] cells) => _rows.Add(cells);

    public void Note(string text) => _notes.Add(text);

    public void Print()
    {
        var widths = _header.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        Console.WriteLine();
        Console.WriteLine($"== {Name} ==");
        Console.WriteLine(string.Join("  ", _header.Select((h, i) => h.PadRight(widths[i]))));
        foreach (var row in _rows)
            Console.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))));
        foreach (var note in _notes)
            Console.WriteLine("  " + note);
    }

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine($"### {Name}");
        text.AppendLine();
        text.AppendLine($"`{command}` on {Environment.MachineName}, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        text.AppendLine();
        text.AppendLine("| " + string.Join(" | ", _header) + " |");
        text.AppendLine("|" + string.Concat(_header.Select(_ => " --- |")));
        foreach (var row in _rows)
            text.AppendLine("| " + string.Join(" | ", row) + " |");
        text.AppendLine();
        foreach (var note in _notes)
            text.AppendLine("- " + note);
        return text.ToString();
    }

    /// <summary>Replaces this benchmark's section (between its markers) or appends it.</summary>
    public void WriteTo(string path)
    {
        var begin = $"<!-- BEGIN bench:{Name} -->";
        var end = $"<!-- END bench:{Name} -->";
        var section = $"{begin}\n{Markdown()}{end}";
        var doc = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n\nEvery table is written by `./ssi bench NAME`; each compares SSI with a reference measured in the same run.\n";
        var from = doc.IndexOf(begin, StringComparison.Ordinal);
        var to = doc.IndexOf(end, StringComparison.Ordinal);
        doc = from >= 0 && to > from
            ? doc[..from] + section + doc[(to + end.Length)..]
            : doc.TrimEnd() + "\n\n" + section + "\n";
        File.WriteAllText(path, doc);
        Console.WriteLine($"  (written to {path})");
    }

    /// <summary>docs/benchmarks.md of the repository this program was built from (or $SSI_DOCS).</summary>
    public static string FindDocs()
    {
        if (Environment.GetEnvironmentVariable("SSI_DOCS") is { Length: > 0 } docs)
            return Path.Combine(docs, "benchmarks.md");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ssi.sln")))
                return Path.Combine(dir.FullName, "docs", "benchmarks.md");
        }
        return Path.Combine(Environment.CurrentDirectory, "benchmarks.md");
    }

    public static string Us(double micro) => micro >= 10_000 ? $"{micro / 1000:0.0} ms" : $"{micro:0} µs";

    public static string Ratio(double ours, double reference) => $"{ours / reference:0.00}x";
}
