namespace Ssi.Fuse;

/// <summary>The attributes of an inode as FUSE carries them (struct fuse_attr).</summary>
public struct InodeAttributes
{
    /// <summary>Inode number shown to applications (st_ino).</summary>
    public ulong Inode { get; set; }
    /// <summary>Size in bytes.</summary>
    public ulong Size { get; set; }
    /// <summary>Allocated 512-byte blocks.</summary>
    public ulong Blocks { get; set; }
    /// <summary>Last access.</summary>
    public TimeSpec AccessTime { get; set; }
    /// <summary>Last data modification.</summary>
    public TimeSpec ModificationTime { get; set; }
    /// <summary>Last status change.</summary>
    public TimeSpec ChangeTime { get; set; }
    /// <summary>File type and permission bits (st_mode, S_IFMT included).</summary>
    public uint Mode { get; set; }
    /// <summary>Number of hard links.</summary>
    public uint LinkCount { get; set; }
    /// <summary>Owner.</summary>
    public uint Uid { get; set; }
    /// <summary>Group.</summary>
    public uint Gid { get; set; }
    /// <summary>Device number for character and block devices (Linux new_encode_dev format).</summary>
    public uint Rdev { get; set; }
    /// <summary>Preferred I/O size; 0 lets the kernel choose.</summary>
    public uint BlockSize { get; set; }

    /// <summary>The directory entry type (DT_*) that matches <see cref="Mode"/>.</summary>
    public readonly uint DirectoryEntryType => (Mode & FileModes.TypeMask) >> 12;
}

/// <summary>The st_mode bits that FUSE handlers commonly need.</summary>
public static class FileModes
{
    /// <summary>S_IFMT: mask of the type bits.</summary>
    public const uint TypeMask = 0xF000;
    /// <summary>S_IFDIR.</summary>
    public const uint Directory = 0x4000;
    /// <summary>S_IFREG.</summary>
    public const uint Regular = 0x8000;
    /// <summary>S_IFLNK.</summary>
    public const uint Symlink = 0xA000;
    /// <summary>S_IFIFO.</summary>
    public const uint Fifo = 0x1000;
    /// <summary>S_IFCHR.</summary>
    public const uint CharacterDevice = 0x2000;
    /// <summary>S_IFBLK.</summary>
    public const uint BlockDevice = 0x6000;
    /// <summary>S_IFSOCK.</summary>
    public const uint Socket = 0xC000;
}
