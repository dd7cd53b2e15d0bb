using System.Globalization;
using System.Text;

namespace Ssi.Fuse.Native;

/// <summary>
/// The FUSE mounts /proc/self/mountinfo lists: found without a request to their server, so
/// looking cannot hang on a server that is gone but whose connection is still held open.
/// </summary>
internal static class MountTable
{
    /// <summary>fusectl connection numbers of the FUSE mounts at exactly <paramref name="mountPoint"/>, lowest first.</summary>
    public static List<uint> FuseAt(string mountPoint)
    {
        var found = new List<uint>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "36 35 0:45 / /cluster rw,relatime shared:1 - fuse.ssi-cfs ssi rw,...": optional fields end at "-".
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", 6);
            if (separator < 0 || separator + 1 >= fields.Length)
                continue;
            var type = fields[separator + 1];
            if (type != "fuse" && !type.StartsWith("fuse.", StringComparison.Ordinal))
                continue;
            if (Unescape(fields[4]) == mountPoint && Device(fields[2]) is uint device)
                found.Add(device);
        }
        return found;
    }

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
