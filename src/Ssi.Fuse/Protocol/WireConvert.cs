namespace Ssi.Fuse.Protocol;

/// <summary>Conversions between the public model and wire structs.</summary>
internal static class WireConvert
{
    public static void SplitTimeout(TimeSpan timeout, out ulong seconds, out uint nanoseconds)
    {
        if (timeout <= TimeSpan.Zero)
        {
            seconds = 0;
            nanoseconds = 0;
            return;
        }
        long ticks = timeout.Ticks;
        seconds = (ulong)(ticks / TimeSpan.TicksPerSecond);
        nanoseconds = (uint)(ticks % TimeSpan.TicksPerSecond * 100);
    }

    public static AttrWire ToWire(in InodeAttributes a) => new()
    {
        Ino = a.Inode,
        Size = a.Size,
        Blocks = a.Blocks,
        Atime = (ulong)a.AccessTime.Seconds,
        AtimeNsec = a.AccessTime.Nanoseconds,
        Mtime = (ulong)a.ModificationTime.Seconds,
        MtimeNsec = a.ModificationTime.Nanoseconds,
        Ctime = (ulong)a.ChangeTime.Seconds,
        CtimeNsec = a.ChangeTime.Nanoseconds,
        Mode = a.Mode,
        NLink = a.LinkCount,
        Uid = a.Uid,
        Gid = a.Gid,
        Rdev = a.Rdev,
        BlkSize = a.BlockSize,
    };

    public static EntryOut ToWire(in FuseEntry e)
    {
        SplitTimeout(e.EntryTimeout, out ulong entrySeconds, out uint entryNanos);
        SplitTimeout(e.AttributeTimeout, out ulong attrSeconds, out uint attrNanos);
        return new EntryOut
        {
            NodeId = e.NodeId,
            Generation = e.Generation,
            EntryValid = entrySeconds,
            EntryValidNsec = entryNanos,
            AttrValid = attrSeconds,
            AttrValidNsec = attrNanos,
            Attr = ToWire(e.Attributes),
        };
    }

    public static AttrOut ToWire(in AttributeReply r)
    {
        SplitTimeout(r.Timeout, out ulong seconds, out uint nanos);
        return new AttrOut { AttrValid = seconds, AttrValidNsec = nanos, Attr = ToWire(r.Attributes) };
    }

    public static OpenOut ToWire(in FuseOpenReply r) => new() { FileHandle = r.Handle, OpenFlags = (uint)r.Flags };

    public static StatFsOut ToWire(in FileSystemStatistics s) => new()
    {
        Blocks = s.Blocks,
        BlocksFree = s.BlocksFree,
        BlocksAvailable = s.BlocksAvailable,
        Files = s.Files,
        FilesFree = s.FilesFree,
        BlockSize = s.BlockSize,
        NameLength = s.NameMaxLength,
        FragmentSize = s.FragmentSize,
    };

    public static FileLock FromWire(in FileLockWire w) => new(w.Start, w.End, (LockType)w.Type, w.Pid);

    public static FileLockWire ToWire(in FileLock l) => new() { Start = l.Start, End = l.End, Type = (uint)l.Type, Pid = l.Pid };

    public static SetAttributes FromWire(in SetAttrIn s) => new()
    {
        Fields = (SetAttributeFields)s.Valid,
        Handle = s.FileHandle,
        Size = s.Size,
        LockOwner = s.LockOwner,
        AccessTime = new TimeSpec((long)s.Atime, s.AtimeNsec),
        ModificationTime = new TimeSpec((long)s.Mtime, s.MtimeNsec),
        ChangeTime = new TimeSpec((long)s.Ctime, s.CtimeNsec),
        Mode = s.Mode,
        Uid = s.Uid,
        Gid = s.Gid,
    };
}
