using System.Runtime.InteropServices;
using System.Text;

namespace Ssi.Box.Native;

/// <summary>Mount table operations of the host mount namespace.</summary>
internal static unsafe class Mounts
{
    /// <summary>
    /// Makes <paramref name="directory"/> a private bind mount of itself. Persistent mount
    /// namespaces can only be bound onto files of a private mount: on a shared one the bind
    /// would propagate into the namespace itself, a loop the kernel refuses.
    /// </summary>
    public static void MakePrivateBind(string directory)
    {
        if (LibC.Mount(directory, directory, null, LibC.MS_BIND, null) != 0)
            throw new BoxException($"cannot bind-mount {directory}: errno {Marshal.GetLastPInvokeError()}");
        if (LibC.Mount(null, directory, null, LibC.MS_PRIVATE, null) != 0)
            throw new BoxException($"cannot make {directory} a private mount: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Mount points at or below <paramref name="directory"/>, deepest first.</summary>
    public static List<string> Under(string directory)
    {
        string prefix = directory.TrimEnd('/') + "/";
        var found = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw": field 5 is the mount point.
            var fields = line.Split(' ');
            if (fields.Length < 5)
                continue;
            string point = Unescape(fields[4]);
            if (point == directory || point.StartsWith(prefix, StringComparison.Ordinal))
                found.Add(point);
        }
        found.Sort((a, b) => b.Length.CompareTo(a.Length));
        return found;
    }

    /// <summary>Lazily unmounts everything at or below <paramref name="directory"/>, stacked mounts included.</summary>
    public static void UnmountAllUnder(string directory)
    {
        for (int round = 0; round < 16; round++)
        {
            var points = Under(directory);
            if (points.Count == 0)
                return;
            foreach (var point in points)
                LibC.Umount2(point, LibC.MNT_DETACH);
        }
        throw new BoxException($"mounts under {directory} survive unmounting: {string.Join(", ", Under(directory))}");
    }

    /// <summary>Unmounts <paramref name="path"/> if it is a mount point; a plain file is left as is.</summary>
    public static void TryUnmount(string path) => LibC.Umount2(path, LibC.MNT_DETACH);

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
            return field;
        var bytes = new List<byte>(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                bytes.Add((byte)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
