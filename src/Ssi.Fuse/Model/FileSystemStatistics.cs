namespace Ssi.Fuse;

/// <summary>The answer to STATFS (struct fuse_kstatfs).</summary>
public readonly record struct FileSystemStatistics
{
    /// <summary>Total blocks, in <see cref="FragmentSize"/> units.</summary>
    public ulong Blocks { get; init; }
    /// <summary>Free blocks.</summary>
    public ulong BlocksFree { get; init; }
    /// <summary>Free blocks available to unprivileged users.</summary>
    public ulong BlocksAvailable { get; init; }
    /// <summary>Total inodes.</summary>
    public ulong Files { get; init; }
    /// <summary>Free inodes.</summary>
    public ulong FilesFree { get; init; }
    /// <summary>Preferred block size.</summary>
    public uint BlockSize { get; init; }
    /// <summary>Longest file name.</summary>
    public uint NameMaxLength { get; init; }
    /// <summary>Fundamental block size.</summary>
    public uint FragmentSize { get; init; }
}
