namespace Ssi.Posix;

/// <summary>
/// The cgroup v2 hierarchy as SSI uses it: every daemon's jobs live under
/// <c>&lt;mount&gt;/ssi/&lt;cluster&gt;.&lt;node&gt;/job-&lt;cpid&gt;</c>.
/// </summary>
public static class Cgroup2
{
    /// <summary>The cgroup v2 mount point, from mountinfo (field 5 is the mount point; the type follows " - "); null if none.</summary>
    public static string? FindMount(string mountInfo = "/proc/self/mountinfo")
    {
        foreach (var line in File.ReadLines(mountInfo))
        {
            var sep = line.IndexOf(" - ", StringComparison.Ordinal);
            if (sep < 0 || !line.AsSpan(sep + 3).StartsWith("cgroup2 "))
                continue;
            var fields = line[..sep].Split(' ');
            if (fields.Length > 4)
                return fields[4].Replace("\\040", " ", StringComparison.Ordinal);
        }
        return null;
    }

    /// <summary>The name part SSI gives a cluster or node in cgroup paths.</summary>
    public static string Sanitize(string name) =>
        string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));

    /// <summary>
    /// Kills every process in the cgroups of the nodes <paramref name="cluster"/>.<paramref name="nodePattern"/>
    /// and removes them, job cgroups first: what a node daemon leaves behind when it is killed
    /// instead of stopped. Returns how many cgroups could not be removed (processes that would
    /// not die in time).
    /// </summary>
    public static async Task<int> RemoveClusterAsync(string cluster, string nodePattern, TimeSpan patience, CancellationToken ct = default)
    {
        var root = FindMount() is { } mount ? Path.Combine(mount, "ssi") : null;
        if (root is null || !Directory.Exists(root))
            return 0;
        var left = 0;
        foreach (var node in Directory.GetDirectories(root, Sanitize(cluster) + "." + nodePattern))
        {
            foreach (var job in Directory.GetDirectories(node, "job-*"))
                left += await RemoveAsync(job, patience, ct).ConfigureAwait(false) ? 0 : 1;
            left += await RemoveAsync(node, patience, ct).ConfigureAwait(false) ? 0 : 1;
        }
        return left;
    }

    /// <summary>
    /// Removes <paramref name="cgroup"/> (which has no child cgroups): rmdir succeeds once it has no
    /// process, so what is left is killed through cgroup.kill and given up to <paramref name="patience"/>
    /// to go. False if it could not be removed.
    /// </summary>
    public static async Task<bool> RemoveAsync(string cgroup, TimeSpan patience, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            try
            {
                Directory.Delete(cgroup);
                return true;
            }
            catch (DirectoryNotFoundException)
            {
                return true;
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                try
                {
                    File.WriteAllText(Path.Combine(cgroup, "cgroup.kill"), "1");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }
}
