using Ssi.Fuse;

namespace Ssi.Cfs.Wire;

/// <summary>Encodings of the FUSE model types shared by the CFS client and server.</summary>
internal static class CfsWire
{
    /// <summary>Request header size: op, server instance, client node, request id, uid, gid, pid.</summary>
    public const int RequestHeaderSize = 1 + 8 + 4 + 8 + 4 + 4 + 4;

    /// <summary>An errno in a reply that is not the file system's answer: the request named another server instance.</summary>
    public const int StaleInstance = -116;

    public static CfsWriter Attributes(this CfsWriter w, in InodeAttributes a) => w
        .U64(a.Inode).U64(a.Size).U64(a.Blocks)
        .I64(a.AccessTime.Seconds).U32(a.AccessTime.Nanoseconds)
        .I64(a.ModificationTime.Seconds).U32(a.ModificationTime.Nanoseconds)
        .I64(a.ChangeTime.Seconds).U32(a.ChangeTime.Nanoseconds)
        .U32(a.Mode).U32(a.LinkCount).U32(a.Uid).U32(a.Gid).U32(a.Rdev).U32(a.BlockSize);

    public static InodeAttributes Attributes(ref this CfsReader r) => new()
    {
        Inode = r.U64(), Size = r.U64(), Blocks = r.U64(),
        AccessTime = new TimeSpec(r.I64(), r.U32()),
        ModificationTime = new TimeSpec(r.I64(), r.U32()),
        ChangeTime = new TimeSpec(r.I64(), r.U32()),
        Mode = r.U32(), LinkCount = r.U32(), Uid = r.U32(), Gid = r.U32(), Rdev = r.U32(), BlockSize = r.U32(),
    };

    /// <summary>An entry without timeouts (each client sets its own); node id 0 is a negative entry.</summary>
    public static CfsWriter Entry(this CfsWriter w, in FuseEntry e) => w.U64(e.NodeId).U64(e.Generation).Attributes(e.Attributes);

    public static FuseEntry Entry(ref this CfsReader r) => new() { NodeId = r.U64(), Generation = r.U64(), Attributes = r.Attributes() };

    public static CfsWriter SetAttributes(this CfsWriter w, in SetAttributes s) => w
        .U32((uint)s.Fields).U64(s.Handle).U64(s.Size).U64(s.LockOwner)
        .I64(s.AccessTime.Seconds).U32(s.AccessTime.Nanoseconds)
        .I64(s.ModificationTime.Seconds).U32(s.ModificationTime.Nanoseconds)
        .I64(s.ChangeTime.Seconds).U32(s.ChangeTime.Nanoseconds)
        .U32(s.Mode).U32(s.Uid).U32(s.Gid);

    public static SetAttributes SetAttributes(ref this CfsReader r) => new()
    {
        Fields = (SetAttributeFields)r.U32(), Handle = r.U64(), Size = r.U64(), LockOwner = r.U64(),
        AccessTime = new TimeSpec(r.I64(), r.U32()),
        ModificationTime = new TimeSpec(r.I64(), r.U32()),
        ChangeTime = new TimeSpec(r.I64(), r.U32()),
        Mode = r.U32(), Uid = r.U32(), Gid = r.U32(),
    };

    public static CfsWriter Statistics(this CfsWriter w, in FileSystemStatistics s) => w
        .U64(s.Blocks).U64(s.BlocksFree).U64(s.BlocksAvailable).U64(s.Files).U64(s.FilesFree)
        .U32(s.BlockSize).U32(s.NameMaxLength).U32(s.FragmentSize);

    public static FileSystemStatistics Statistics(ref this CfsReader r) => new()
    {
        Blocks = r.U64(), BlocksFree = r.U64(), BlocksAvailable = r.U64(), Files = r.U64(), FilesFree = r.U64(),
        BlockSize = r.U32(), NameMaxLength = r.U32(), FragmentSize = r.U32(),
    };

    public static CfsWriter Lock(this CfsWriter w, in FileLock l) => w.U64(l.Start).U64(l.End).U32((uint)l.Type).U32(l.Pid);

    public static FileLock Lock(ref this CfsReader r) => new(r.U64(), r.U64(), (LockType)r.U32(), r.U32());

    public static CfsWriter Open(this CfsWriter w, in FuseOpenReply o) => w.U64(o.Handle).U32((uint)o.Flags);

    public static FuseOpenReply Open(ref this CfsReader r) => new(r.U64(), (OpenReplyFlags)r.U32());
}
