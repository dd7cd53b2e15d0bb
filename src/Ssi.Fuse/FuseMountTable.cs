using System.Globalization;
using System.Text;

namespace Ssi.Fuse;

/// <summary>
/// The FUSE mounts a mount table (/proc/PID/mountinfo) lists: found without a request to their
/// server, so looking cannot hang on a server that is gone but whose connection is still held
/// open. A connection is named by the kernel's device number, as fusectl names it.
/// </summary>
public static class FuseMountTable
{
    /// <summary>The FUSE mounts in <paramref name="mountInfo"/> (default: this process's), in mount order.</summary>
    /// <exception cref="IOException">The table cannot be read (the process is gone, say).</exception>
    public static List<(string MountPoint, uint Connection)> List(string mountInfo = "/proc/self/mountinfo")
    {
        var found = new List<(string, uint)>();
        foreach (var line in File.ReadLines(mountInfo))
        {
            // "36 35 0:45 / /cluster rw,relatime shared:1 - fuse.ssi-cfs ssi rw,...": optional fields end at "-".
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", 6);
            if (separator < 0 || separator + 1 >= fields.Length)
                continue;
            var type = fields[separator + 1];
            if (type != "fuse" && !type.StartsWith("fuse.", StringComparison.Ordinal))
                continue;
            if (Device(fields[2]) is uint device)
                found.Add((Unescape(fields[4]), device));
        }
        return found;
    }

    /// <summary>Connections of this process's FUSE mounts at exactly <paramref name="mountPoint"/>, lowest first.</summary>
    public static List<uint> At(string mountPoint) =>
        [.. List().Where(m => m.MountPoint == mountPoint).Select(m => m.Connection)];

    /// <summary>"major:minor" as the kernel's dev_t, the name fusectl gives the connection.</summary>
    private static uint? Device(string field)
    {
        var parts = field.Split(':');
        return parts.Length == 2
            && uint.TryParse(parts[0], CultureInfo.InvariantCulture, out var major)
            && uint.TryParse(parts[1], CultureInfo.InvariantCulture, out var minor)
            ? (major << 20) | minor
            : null;
    }

    /// <summary>mountinfo writes space, tab, newline and backslash in paths as octal escapes (\040).</summary>
    private static string Unescape(string path)
    {
        if (!path.Contains('\\', StringComparison.Ordinal))
            return path;
        var text = new StringBuilder(path.Length);
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '\\' && IsOctal(path, i + 1))
            {
                text.Append((char)Convert.ToInt32(path.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
                text.Append(path[i]);
        }
        return text.ToString();
    }

    private static bool IsOctal(string text, int start) =>
        start + 3 <= text.Length && text.AsSpan(start, 3).IndexOfAnyExceptInRange('0', '7') < 0;
}
