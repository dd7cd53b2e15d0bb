namespace Ssi.Cfs.Wire;

/// <summary>Operation codes inside a <see cref="CfsMethods.Operation"/> request. On the wire: never renumber.</summary>
internal enum CfsOp : byte
{
    Lookup = 1,
    GetAttributes = 2,
    SetAttributes = 3,
    ReadLink = 4,
    Symlink = 5,
    MakeNode = 6,
    MakeDirectory = 7,
    Unlink = 8,
    RemoveDirectory = 9,
    Rename = 10,
    Link = 11,
    Open = 12,
    Create = 13,
    Read = 14,
    Write = 15,
    StatFs = 16,
    Flush = 17,
    Release = 18,
    Fsync = 19,
    SetXattr = 20,
    GetXattr = 21,
    ListXattr = 22,
    RemoveXattr = 23,
    OpenDirectory = 24,
    ReadDirectory = 25,
    ReleaseDirectory = 26,
    FsyncDirectory = 27,
    GetLock = 28,
    SetLock = 29,
    Access = 30,
    Fallocate = 31,
    Seek = 32,
    CopyFileRange = 33,
    /// <summary>Write-behind writes, applied in order; answered with each one's byte count or errno.</summary>
    WriteBatch = 34,
}

/// <summary>Kinds of cache invalidation in a <see cref="CfsMethods.Invalidate"/> message.</summary>
internal enum InvalidationKind : byte
{
    /// <summary>Attributes and cached data of a node.</summary>
    Inode = 1,
    /// <summary>A name in a directory (and the directory's attributes).</summary>
    Entry = 2,
    /// <summary>Write-behind for a node ends: answered once this client's earlier writes have reached the server.</summary>
    Revoke = 3,
}
