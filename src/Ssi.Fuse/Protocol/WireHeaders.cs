using System.Runtime.InteropServices;

namespace Ssi.Fuse.Protocol;

// Layouts mirror include/uapi/linux/fuse.h; every struct is padded to 8 bytes, little-endian host order.

/// <summary>fuse_in_header: in front of every request.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct InHeader
{
    public const int Size = 40;
    public uint Length;
    public FuseOpcode Opcode;
    public ulong Unique;
    public ulong NodeId;
    public uint Uid;
    public uint Gid;
    public uint Pid;
    public ushort TotalExtLength;
    public ushort Padding;
}

/// <summary>fuse_out_header: in front of every reply and notification.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct OutHeader
{
    public const int Size = 16;
    public uint Length;
    public int Error;
    public ulong Unique;
}

/// <summary>fuse_init_in (7.36+ layout, 64 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct InitIn
{
    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public uint Flags2;
    public fixed uint Unused[11];
}

/// <summary>fuse_init_out (64 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct InitOut
{
    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public ushort MaxBackground;
    public ushort CongestionThreshold;
    public uint MaxWrite;
    public uint TimeGranularity;
    public ushort MaxPages;
    public ushort MapAlignment;
    public uint Flags2;
    public uint MaxStackDepth;
    public fixed uint Unused[6];
}

/// <summary>fuse_interrupt_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct InterruptIn
{
    public ulong Unique;
}

/// <summary>fuse_forget_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ForgetIn
{
    public ulong NLookup;
}

/// <summary>fuse_forget_one: an element of BATCH_FORGET.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ForgetOne
{
    public ulong NodeId;
    public ulong NLookup;
}

/// <summary>fuse_batch_forget_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BatchForgetIn
{
    public uint Count;
    public uint Dummy;
}
