using System.Globalization;

namespace Ssi.Box.Native;

/// <summary>
/// The FUSE connections a node's daemon serves, aborted once it is killed. A daemon thread
/// inside a request on its own mount (a stat of /cluster, say) when SIGKILL comes waits for
/// the answer uninterruptibly once the request was read; the readers are dead, and the
/// connection only ends when /dev/fuse closes, which waits for that very thread: the process
/// stays a zombie, its mount hangs whoever touches it. fusectl's abort ends that wait.
/// </summary>
internal static class FuseConnections
{
    private const string Control = "/sys/fs/fuse/connections";

    /// <summary>
    /// fusectl names of the FUSE mounts <paramref name="pid"/> sees, when it lives in one of the
    /// <paramref name="mountNamespaces"/> (inodes), less those this process sees too: a node's
    /// mount namespace began as a copy of the host's, with the host's FUSE mounts (a user's
    /// sshfs, another test's mount), and those connections are not the node's to end. None if
    /// it is gone.
    /// </summary>
    public static List<uint> Of(int pid, IReadOnlySet<ulong> mountNamespaces)
    {
        var found = new List<uint>();
        var mountNamespace = NamespaceMembers.NamespaceOf(pid, "mnt");
        if (mountNamespace == 0 || !mountNamespaces.Contains(mountNamespace))
            return found;
        var host = Listed("/proc/self/mountinfo");
        found.AddRange(Listed($"/proc/{pid}/mountinfo").Where(connection => !host.Contains(connection)));
        return found;
    }

    private static HashSet<uint> Listed(string mountInfo)
    {
        var found = new HashSet<uint>();
        try
        {
            foreach (var line in File.ReadLines(mountInfo))
            {
                // "36 35 0:45 / /cluster rw,... - fuse.ssi-cfs ssi rw,...": field 3 is the device.
                var separator = line.IndexOf(" - ", StringComparison.Ordinal);
                var type = separator < 0 ? "" : line[(separator + 3)..].Split(' ')[0];
                if (type != "fuse" && !type.StartsWith("fuse.", StringComparison.Ordinal))
                    continue;
                var device = line.Split(' ')[2].Split(':');
                if (device.Length == 2 && uint.TryParse(device[0], CultureInfo.InvariantCulture, out var major)
                    && uint.TryParse(device[1], CultureInfo.InvariantCulture, out var minor))
                    found.Add((major << 20) | minor); // the kernel's dev_t, as fusectl prints it
            }
        }
        catch (IOException)
        {
        }
        return found;
    }

    /// <summary>Aborts each connection that still exists.</summary>
    public static void Abort(IEnumerable<uint> connections)
    {
        foreach (var connection in connections)
        {
            try
            {
                var abort = Path.Combine(Control, connection.ToString(CultureInfo.InvariantCulture), "abort");
                if (File.Exists(abort))
                    File.WriteAllText(abort, "1");
            }
            catch (IOException)
            {
                // Gone meanwhile: the kernel ended it itself.
            }
        }
    }
}
