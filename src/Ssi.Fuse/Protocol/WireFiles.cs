using System.Runtime.InteropServices;

namespace Ssi.Fuse.Protocol;

/// <summary>fuse_open_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct OpenIn
{
    public uint Flags;
    public uint OpenFlags;
}

/// <summary>fuse_create_in (followed by the name).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CreateIn
{
    public uint Flags;
    public uint Mode;
    public uint Umask;
    public uint OpenFlags;
}

/// <summary>fuse_open_out.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct OpenOut
{
    public ulong FileHandle;
    public uint OpenFlags;
    public uint BackingId;
}

/// <summary>fuse_release_in (RELEASE and RELEASEDIR).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ReleaseIn
{
    public const uint FlagFlush = 1;
    public const uint FlagFlockUnlock = 2;
    public ulong FileHandle;
    public uint Flags;
    public uint ReleaseFlags;
    public ulong LockOwner;
}

/// <summary>fuse_flush_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlushIn
{
    public ulong FileHandle;
    public uint Unused;
    public uint Padding;
    public ulong LockOwner;
}

/// <summary>fuse_read_in (READ, READDIR, READDIRPLUS).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ReadIn
{
    public ulong FileHandle;
    public ulong Offset;
    public uint Size;
    public uint ReadFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

/// <summary>fuse_write_in (followed by the data).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WriteIn
{
    public const int Size = 40;
    public ulong FileHandle;
    public ulong Offset;
    public uint Length;
    public uint WriteFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

/// <summary>fuse_write_out.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WriteOut
{
    public uint Size;
    public uint Padding;
}

/// <summary>fuse_fsync_in (FSYNC and FSYNCDIR).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FsyncIn
{
    public ulong FileHandle;
    public uint FsyncFlags;
    public uint Padding;
}

/// <summary>fuse_fallocate_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FallocateIn
{
    public ulong FileHandle;
    public ulong Offset;
    public ulong Length;
    public uint Mode;
    public uint Padding;
}

/// <summary>fuse_lseek_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LseekIn
{
    public ulong FileHandle;
    public ulong Offset;
    public uint Whence;
    public uint Padding;
}

/// <summary>fuse_lseek_out.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LseekOut
{
    public ulong Offset;
}

/// <summary>fuse_copy_file_range_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CopyFileRangeIn
{
    public ulong FileHandleIn;
    public ulong OffsetIn;
    public ulong NodeIdOut;
    public ulong FileHandleOut;
    public ulong OffsetOut;
    public ulong Length;
    public ulong Flags;
}

/// <summary>fuse_file_lock.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FileLockWire
{
    public ulong Start;
    public ulong End;
    public uint Type;
    public uint Pid;
}

/// <summary>fuse_lk_in (GETLK, SETLK, SETLKW).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LockIn
{
    public const uint FlagFlock = 1;
    public ulong FileHandle;
    public ulong Owner;
    public FileLockWire Lock;
    public uint LockFlags;
    public uint Padding;
}

/// <summary>fuse_dirent header (followed by the name, padded to 8 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DirentWire
{
    public const int Size = 24;
    public ulong Ino;
    public ulong Offset;
    public uint NameLength;
    public uint Type;
}
