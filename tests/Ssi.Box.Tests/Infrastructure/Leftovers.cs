using System.Net.NetworkInformation;

namespace Ssi.Box.Tests.Infrastructure;

/// <summary>Whatever a box may leave on the machine, listed so a test can demand none.</summary>
internal static class Leftovers
{
    public static List<string> Of(string boxName, string root = ClusterBox.DefaultRoot, params int[] pids)
    {
        var found = new List<string>();
        if (Directory.Exists("/run/netns"))
            found.AddRange(Directory.EnumerateFiles("/run/netns", boxName + "-*").Select(f => $"netns {f}"));
        found.AddRange(NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.Name.StartsWith(boxName + "-", StringComparison.Ordinal))
            .Select(i => $"link {i.Name}"));
        string dir = Path.Combine(root, boxName);
        found.AddRange(File.ReadLines("/proc/self/mountinfo")
            .Where(l => l.Contains(dir, StringComparison.Ordinal))
            .Select(l => $"mount {l}"));
        if (Directory.Exists(dir))
            found.Add($"dir {dir}");
        found.AddRange(pids.Where(IsAlive).Select(p => $"process {p}"));
        return found;
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            // A reaped process has no /proc entry; a zombie has state Z.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
