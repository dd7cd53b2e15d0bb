using System.Globalization;
using System.Text;

namespace Ssi.Vproc.Jobs;

/// <summary>One process as /proc shows it.</summary>
internal sealed record ProcSample(int Pid, int ParentPid, char State, uint Uid, int NamespacePid, long CpuMs, long RssKb,
    double CpuPercent, string Command);

/// <summary>Reads processes from /proc (the figures ps shows), tolerating processes that vanish meanwhile.</summary>
internal static class ProcFs
{
    private const int ClockTicks = 100;
    private static readonly long s_pageKb = Environment.SystemPageSize / 1024;
    private static Dictionary<uint, string>? s_users;
    private static DateTime s_usersRead;

    /// <summary>
    /// A small /proc file (up to 4 KiB) in one read, on a run's path: File.ReadAllText adds a
    /// lock, a stat and more reads.
    /// </summary>
    public static string ReadSmall(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Span<byte> buffer = stackalloc byte[4096];
        return Encoding.ASCII.GetString(buffer[..RandomAccess.Read(handle, buffer, 0)]);
    }

    /// <summary>The process, or null when it is gone.</summary>
    public static ProcSample? Sample(int pid, double? uptimeSeconds = null)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            var open = stat.IndexOf('(');
            var f = stat[(close + 2)..].Split(' ');
            var comm = stat[(open + 1)..close];
            var ticks = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
            var started = long.Parse(f[19], CultureInfo.InvariantCulture) / (double)ClockTicks;
            var rss = long.Parse(f[21], CultureInfo.InvariantCulture) * s_pageKb;
            var uptime = uptimeSeconds ?? Uptime();
            var cpuSeconds = ticks / (double)ClockTicks;
            var elapsed = uptime - started;
            var percent = elapsed > 0 ? Math.Round(100 * cpuSeconds / elapsed, 1) : 0;
            uint uid = 0;
            int nspid = pid;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                    uid = uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                else if (line.StartsWith("NSpid:", StringComparison.Ordinal))
                    nspid = int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[^1], CultureInfo.InvariantCulture);
            }
            return new ProcSample(pid, int.Parse(f[1], CultureInfo.InvariantCulture), f[0][0], uid, nspid, ticks * 1000 / ClockTicks, rss,
                percent, CommandLine(pid, comm));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Seconds since boot.</summary>
    public static double Uptime() =>
        double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>Every pid in /proc.</summary>
    public static IEnumerable<int> AllPids()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                yield return pid;
        }
    }

    /// <summary>The direct children of <paramref name="pid"/> (needs CONFIG_PROC_CHILDREN, as CRIU does).</summary>
    public static IEnumerable<int> Children(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/task/{pid}/children");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var child))
                yield return child;
        }
    }

    /// <summary>The inode of a process's namespace of <paramref name="kind"/> ("net", "pid"), or null.</summary>
    public static string? Namespace(int pid, string kind)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/{kind}").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The user name of <paramref name="uid"/> from /etc/passwd (re-read every minute), else the number.</summary>
    public static string UserName(uint uid)
    {
        var users = s_users;
        if (users is null || DateTime.UtcNow - s_usersRead > TimeSpan.FromMinutes(1))
        {
            users = [];
            try
            {
                foreach (var line in File.ReadLines("/etc/passwd"))
                {
                    var f = line.Split(':');
                    if (f.Length > 2 && uint.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                        users.TryAdd(id, f[0]);
                }
            }
            catch (IOException)
            {
            }
            (s_users, s_usersRead) = (users, DateTime.UtcNow);
        }
        return users.TryGetValue(uid, out var name) ? name : uid.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The uid of user <paramref name="name"/> (or a number), or null.</summary>
    public static uint? UserId(string name)
    {
        if (uint.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
            return uid;
        UserName(0);
        foreach (var (id, user) in s_users!)
        {
            if (user == name)
                return id;
        }
        return null;
    }

    private static string CommandLine(int pid, string comm)
    {
        var raw = File.ReadAllBytes($"/proc/{pid}/cmdline");
        if (raw.Length == 0)
            return "[" + comm + "]";
        var end = raw.Length;
        while (end > 0 && raw[end - 1] == 0)
            end--;
        for (int i = 0; i < end; i++)
        {
            if (raw[i] == 0)
                raw[i] = (byte)' ';
        }
        return Encoding.UTF8.GetString(raw, 0, end);
    }
}
