using System.Runtime.InteropServices;

namespace Ssi.Fuse.Protocol;

/// <summary>fuse_attr (88 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AttrWire
{
    public ulong Ino;
    public ulong Size;
    public ulong Blocks;
    public ulong Atime;
    public ulong Mtime;
    public ulong Ctime;
    public uint AtimeNsec;
    public uint MtimeNsec;
    public uint CtimeNsec;
    public uint Mode;
    public uint NLink;
    public uint Uid;
    public uint Gid;
    public uint Rdev;
    public uint BlkSize;
    public uint Flags;
}

/// <summary>fuse_entry_out (128 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct EntryOut
{
    public const int Size = 128;
    public ulong NodeId;
    public ulong Generation;
    public ulong EntryValid;
    public ulong AttrValid;
    public uint EntryValidNsec;
    public uint AttrValidNsec;
    public AttrWire Attr;
}

/// <summary>fuse_getattr_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GetAttrIn
{
    public const uint FlagFileHandle = 1;
    public uint Flags;
    public uint Dummy;
    public ulong FileHandle;
}

/// <summary>fuse_attr_out (104 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AttrOut
{
    public ulong AttrValid;
    public uint AttrValidNsec;
    public uint Dummy;
    public AttrWire Attr;
}

/// <summary>fuse_setattr_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SetAttrIn
{
    public uint Valid;
    public uint Padding;
    public ulong FileHandle;
    public ulong Size;
    public ulong LockOwner;
    public ulong Atime;
    public ulong Mtime;
    public ulong Ctime;
    public uint AtimeNsec;
    public uint MtimeNsec;
    public uint CtimeNsec;
    public uint Mode;
    public uint Unused4;
    public uint Uid;
    public uint Gid;
    public uint Unused5;
}

/// <summary>fuse_kstatfs inside fuse_statfs_out (80 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct StatFsOut
{
    public ulong Blocks;
    public ulong BlocksFree;
    public ulong BlocksAvailable;
    public ulong Files;
    public ulong FilesFree;
    public uint BlockSize;
    public uint NameLength;
    public uint FragmentSize;
    public uint Padding;
    public fixed uint Spare[6];
}
