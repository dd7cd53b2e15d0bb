using System.Runtime.InteropServices;

namespace Ssi.Fuse.Protocol;

/// <summary>fuse_notify_inval_inode_out.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NotifyInvalInodeOut
{
    public ulong Ino;
    public long Offset;
    public long Length;
}

/// <summary>fuse_notify_inval_entry_out (followed by the name and a NUL).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NotifyInvalEntryOut
{
    public const uint FlagExpireOnly = 1;
    public ulong Parent;
    public uint NameLength;
    public uint Flags;
}

/// <summary>fuse_notify_delete_out (followed by the name and a NUL).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NotifyDeleteOut
{
    public ulong Parent;
    public ulong Child;
    public uint NameLength;
    public uint Padding;
}

/// <summary>fuse_notify_store_out (followed by the data).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NotifyStoreOut
{
    public ulong NodeId;
    public ulong Offset;
    public uint Size;
    public uint Padding;
}
