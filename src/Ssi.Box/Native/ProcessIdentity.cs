using System.Globalization;

namespace Ssi.Box.Native;

/// <summary>
/// A process named by pid and start time, so that a pid recorded in a file is not mistaken
/// for a later process that reused the number.
/// </summary>
internal readonly record struct ProcessIdentity(int Pid, ulong StartTime)
{
    /// <summary>This process.</summary>
    public static ProcessIdentity Current => new(Environment.ProcessId, StartTimeOf(Environment.ProcessId));

    /// <summary>True while the very same process is alive.</summary>
    public bool IsAlive => Pid > 0 && StartTime != 0 && StartTimeOf(Pid) == StartTime && !IsZombie(Pid);

    public override string ToString() => $"{Pid} {StartTime}";

    public static ProcessIdentity Parse(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong start)
            ? new ProcessIdentity(pid, start) : default;
    }

    /// <summary>Field 22 of /proc/pid/stat (clock ticks since boot), or 0 when the process is gone.</summary>
    public static ulong StartTimeOf(int pid)
    {
        var fields = StatFields(pid);
        return fields is { Length: > 19 } && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out ulong t) ? t : 0;
    }

    public static bool IsZombie(int pid) => StatFields(pid) is [var state, ..] && (state == "Z" || state == "X");

    // Fields after "pid (comm)": comm may hold spaces and parentheses, so split after the last ')'.
    private static string[]? StatFields(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        int close = text.LastIndexOf(')');
        return close < 0 ? null : text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }
}
