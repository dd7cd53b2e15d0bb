using System.Globalization;

namespace Ssi.Cli;

/// <summary>Signal names and numbers as kill(1) spells them (Linux x86_64/arm64 numbering).</summary>
internal static class Signals
{
    private static readonly string[] Names =
    [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
        "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];

    /// <summary>Parses "9", "KILL", "SIGKILL" (any case); null if it is not a signal.</summary>
    public static int? Parse(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            return number is >= 0 and <= 64 ? number : null;
        var name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
            name = name[3..];
        var index = Array.IndexOf(Names, name);
        return index > 0 ? index : null;
    }

    /// <summary>The name of signal <paramref name="number"/> without SIG.</summary>
    public static string Name(int number) => number > 0 && number < Names.Length ? Names[number] : number.ToString(CultureInfo.InvariantCulture);
}
