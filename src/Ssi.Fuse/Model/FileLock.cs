namespace Ssi.Fuse;

/// <summary>Kind of a record lock (F_RDLCK, F_WRLCK, F_UNLCK).</summary>
public enum LockType : uint
{
    /// <summary>Shared lock.</summary>
    Read = 0,
    /// <summary>Exclusive lock.</summary>
    Write = 1,
    /// <summary>No lock / release.</summary>
    Unlock = 2,
}

/// <summary>
/// A byte-range lock as FUSE carries it: <see cref="End"/> is inclusive and
/// <see cref="ToEndOfFile"/> means "to the end of the file, whatever its size".
/// </summary>
/// <param name="Start">First byte.</param>
/// <param name="End">Last byte, inclusive.</param>
/// <param name="Type">Read, write or unlock.</param>
/// <param name="Pid">Process holding (GETLK answer) or asking (request).</param>
public readonly record struct FileLock(ulong Start, ulong End, LockType Type, uint Pid)
{
    /// <summary>OFFSET_MAX: the end of a lock that extends to the end of the file.</summary>
    public const ulong ToEndOfFile = long.MaxValue;

    /// <summary>The lock's length in fcntl terms (0 means "to end of file").</summary>
    public long Length => End >= ToEndOfFile ? 0 : (long)(End - Start + 1);
}
