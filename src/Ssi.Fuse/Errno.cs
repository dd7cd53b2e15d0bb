namespace Ssi.Fuse;

/// <summary>
/// A Linux error number as the FUSE kernel protocol carries it (positive here, negated on the wire).
/// <see cref="Ok"/> (0) means success.
/// </summary>
public readonly record struct Errno(int Value)
{
    /// <summary>Success.</summary>
    public static readonly Errno Ok = new(0);
    /// <summary>Operation not permitted.</summary>
    public static readonly Errno EPERM = new(1);
    /// <summary>No such file or directory.</summary>
    public static readonly Errno ENOENT = new(2);
    /// <summary>Interrupted system call.</summary>
    public static readonly Errno EINTR = new(4);
    /// <summary>I/O error.</summary>
    public static readonly Errno EIO = new(5);
    /// <summary>Bad file descriptor.</summary>
    public static readonly Errno EBADF = new(9);
    /// <summary>Try again (would block).</summary>
    public static readonly Errno EAGAIN = new(11);
    /// <summary>Out of memory.</summary>
    public static readonly Errno ENOMEM = new(12);
    /// <summary>Permission denied.</summary>
    public static readonly Errno EACCES = new(13);
    /// <summary>Device or resource busy.</summary>
    public static readonly Errno EBUSY = new(16);
    /// <summary>File exists.</summary>
    public static readonly Errno EEXIST = new(17);
    /// <summary>Cross-device link.</summary>
    public static readonly Errno EXDEV = new(18);
    /// <summary>Not a directory.</summary>
    public static readonly Errno ENOTDIR = new(20);
    /// <summary>Is a directory.</summary>
    public static readonly Errno EISDIR = new(21);
    /// <summary>Invalid argument.</summary>
    public static readonly Errno EINVAL = new(22);
    /// <summary>File too large.</summary>
    public static readonly Errno EFBIG = new(27);
    /// <summary>No space left on device.</summary>
    public static readonly Errno ENOSPC = new(28);
    /// <summary>Read-only file system.</summary>
    public static readonly Errno EROFS = new(30);
    /// <summary>Result too large (buffer too small).</summary>
    public static readonly Errno ERANGE = new(34);
    /// <summary>Resource deadlock would occur.</summary>
    public static readonly Errno EDEADLK = new(35);
    /// <summary>File name too long.</summary>
    public static readonly Errno ENAMETOOLONG = new(36);
    /// <summary>Function not implemented: the kernel remembers it for some operations and stops asking.</summary>
    public static readonly Errno ENOSYS = new(38);
    /// <summary>Directory not empty.</summary>
    public static readonly Errno ENOTEMPTY = new(39);
    /// <summary>No data available (no such extended attribute).</summary>
    public static readonly Errno ENODATA = new(61);
    /// <summary>Protocol error.</summary>
    public static readonly Errno EPROTO = new(71);
    /// <summary>Operation not supported.</summary>
    public static readonly Errno EOPNOTSUPP = new(95);
    /// <summary>Transport endpoint is not connected (a FUSE mount whose server died).</summary>
    public static readonly Errno ENOTCONN = new(107);

    /// <summary>True when this is <see cref="Ok"/>.</summary>
    public bool IsOk => Value == 0;

    /// <summary>The errno left by the last P/Invoke call made with SetLastError.</summary>
    public static Errno FromLastPInvokeError() => new(System.Runtime.InteropServices.Marshal.GetLastPInvokeError());

    /// <inheritdoc />
    public override string ToString() => Value == 0 ? "OK" : $"errno {Value} ({System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(Value)})";
}
