using System.Text;

namespace Ssi.Cfs.Tests.Posix;

/// <summary>What a conformance case observed, line by line: results and errno names, never raw inode numbers or times.</summary>
internal sealed class Transcript
{
    private static readonly Dictionary<int, string> s_names = new()
    {
        [1] = "EPERM", [2] = "ENOENT", [4] = "EINTR", [5] = "EIO", [9] = "EBADF", [11] = "EAGAIN", [13] = "EACCES",
        [17] = "EEXIST", [18] = "EXDEV", [20] = "ENOTDIR", [21] = "EISDIR", [22] = "EINVAL", [27] = "EFBIG",
        [28] = "ENOSPC", [34] = "ERANGE", [36] = "ENAMETOOLONG", [38] = "ENOSYS", [39] = "ENOTEMPTY", [40] = "ELOOP",
        [61] = "ENODATA", [95] = "EOPNOTSUPP", [107] = "ENOTCONN",
    };

    private readonly StringBuilder _lines = new();

    /// <summary>Records a call that returns 0 or -1 with errno.</summary>
    public int Call(string label, int rc)
    {
        _lines.Append(label).Append(" -> ").AppendLine(rc >= 0 ? "ok" : Name(Sys.Errno));
        return rc;
    }

    /// <summary>Records a call that returns a count or -1 with errno.</summary>
    public long Count(string label, long rc)
    {
        _lines.Append(label).Append(" -> ").AppendLine(rc >= 0 ? rc.ToString() : Name(Sys.Errno));
        return rc;
    }

    /// <summary>Records a call that returns a descriptor or -1 (the descriptor number itself is not recorded).</summary>
    public int Fd(string label, int fd)
    {
        _lines.Append(label).Append(" -> ").AppendLine(fd >= 0 ? "fd" : Name(Sys.Errno));
        return fd;
    }

    /// <summary>Records an errno returned directly (0 = ok).</summary>
    public void Errno(string label, int error) => _lines.Append(label).Append(" -> ").AppendLine(error == 0 ? "ok" : Name(error));

    /// <summary>Records a value.</summary>
    public void Value(string label, object? value) => _lines.Append(label).Append(" = ").AppendLine(value?.ToString());

    public static string Name(int errno) => s_names.TryGetValue(errno, out var name) ? name : $"errno {errno}";

    public override string ToString() => _lines.ToString();
}
