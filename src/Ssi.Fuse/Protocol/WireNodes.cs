using System.Runtime.InteropServices;

namespace Ssi.Fuse.Protocol;

/// <summary>fuse_mknod_in (followed by the name).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MkNodIn
{
    public uint Mode;
    public uint Rdev;
    public uint Umask;
    public uint Padding;
}

/// <summary>fuse_mkdir_in (followed by the name).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MkDirIn
{
    public uint Mode;
    public uint Umask;
}

/// <summary>fuse_rename_in (followed by old and new names).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RenameIn
{
    public ulong NewDir;
}

/// <summary>fuse_rename2_in (followed by old and new names).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Rename2In
{
    public ulong NewDir;
    public uint Flags;
    public uint Padding;
}

/// <summary>fuse_link_in (followed by the new name).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LinkIn
{
    public ulong OldNodeId;
}

/// <summary>fuse_access_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AccessIn
{
    public uint Mask;
    public uint Padding;
}

/// <summary>fuse_setxattr_in without FUSE_SETXATTR_EXT (8 bytes, followed by name and value).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SetXattrIn
{
    public uint Size;
    public uint Flags;
}

/// <summary>fuse_getxattr_in (followed by the name for GETXATTR).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GetXattrIn
{
    public uint Size;
    public uint Padding;
}

/// <summary>fuse_getxattr_out: the size needed, when the caller asked with size 0.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GetXattrOut
{
    public uint Size;
    public uint Padding;
}
