using Ssi.Fuse.Native;

namespace Ssi.Fuse.Passthrough;

/// <summary>
/// Mirrors a local directory through FUSE: every request becomes the same system call on the backing
/// tree, errno for errno. Nodes pin backing inodes with O_PATH descriptors (renames behind the
/// mount's back do not confuse it); files created through the mount belong to the caller.
/// </summary>
/// <remarks>
/// Meant to run as root with the default_permissions mount option (the kernel checks permissions;
/// <see cref="AccessAsync"/> is a plain mode-bit check without supplementary groups). POSIX locks are
/// kept per lock owner with open-file-description locks on the backing file, so they are visible to
/// local processes using the backing directory as well.
/// </remarks>
public sealed partial class PassthroughFileSystem : IFileSystem, IDisposable
{
    private readonly InodeTable _inodes;
    private readonly PassthroughOptions _options;
    private volatile bool _writeback;

    /// <summary>Serves <paramref name="root"/>, an existing directory.</summary>
    public unsafe PassthroughFileSystem(string root, PassthroughOptions? options = null)
    {
        Root = Path.GetFullPath(root);
        _options = options ?? new PassthroughOptions();
        int fd = Libc.Open(Root, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            throw new IOException($"Cannot open passthrough root {Root}: {Errno.FromLastPInvokeError()}");
        var stat = default(Statx);
        byte empty = 0;
        if (Libc.Statx(fd, &empty, Libc.AT_EMPTY_PATH, Statx.BasicStats, &stat) != 0)
        {
            var error = Errno.FromLastPInvokeError();
            Libc.Close(fd);
            throw new IOException($"Cannot stat passthrough root {Root}: {error}");
        }
        _inodes = new InodeTable(fd, stat);
    }

    /// <summary>The backing directory.</summary>
    public string Root { get; }

    /// <summary>Nodes the kernel currently holds (root included).</summary>
    public int KnownNodes => _inodes.Count;

    /// <summary>
    /// The node id the kernel knows for <paramref name="relativePath"/> under <see cref="Root"/>, if it has looked it up;
    /// use it with <see cref="FuseMount.InvalidateInode"/> after changing the backing file.
    /// </summary>
    public unsafe ulong? FindNode(string relativePath)
    {
        string full = Path.Combine(Root, relativePath);
        var stat = default(Statx);
        if (Libc.Statx(Libc.AT_FDCWD, full, Libc.AT_SYMLINK_NOFOLLOW, Statx.BasicStats, &stat) != 0)
            return null;
        return _inodes.Find(InodeTable.DeviceOf(stat), stat.Ino);
    }

    /// <inheritdoc />
    public void Initialize(FuseConnectionInfo connection) => _writeback = connection.Has(FuseCapabilities.WritebackCache);

    /// <inheritdoc />
    public void Destroy() { }

    /// <summary>Closes every backing descriptor.</summary>
    public void Dispose()
    {
        CloseAllHandles();
        _inodes.Dispose();
    }

    private PassthroughInode? Node(ulong node) => _inodes.Get(node);

    private static Errno LastError() => Errno.FromLastPInvokeError();

    private static ValueTask<FuseResult<T>> Done<T>(FuseResult<T> result) => new(result);

    private static ValueTask<Errno> Done(Errno result) => new(result);

    private static InodeAttributes ToAttributes(in Statx s) => new()
    {
        Inode = s.Ino,
        Size = s.Size,
        Blocks = s.Blocks,
        AccessTime = new TimeSpec(s.AccessTime.Seconds, s.AccessTime.Nanoseconds),
        ModificationTime = new TimeSpec(s.ModificationTime.Seconds, s.ModificationTime.Nanoseconds),
        ChangeTime = new TimeSpec(s.ChangeTime.Seconds, s.ChangeTime.Nanoseconds),
        Mode = s.Mode,
        LinkCount = s.LinkCount,
        Uid = s.Uid,
        Gid = s.Gid,
        Rdev = (s.RdevMinor & 0xff) | (s.RdevMajor << 8) | ((s.RdevMinor & ~0xffu) << 12),
        BlockSize = s.BlockSize,
    };

    /// <summary>glibc's dev_t from the kernel's 32-bit encoding used by FUSE.</summary>
    private static ulong DecodeDevice(uint rdev)
    {
        ulong major = (rdev & 0xfff00) >> 8;
        ulong minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
        return ((major & 0xfffff000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffffff00) << 12) | (minor & 0xff);
    }

    private unsafe Errno StatNode(int fd, out Statx stat)
    {
        Statx result = default;
        byte empty = 0;
        int rc = Libc.Statx(fd, &empty, Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW, Statx.BasicStats, &result);
        stat = result;
        return rc == 0 ? Errno.Ok : LastError();
    }

    private FuseEntry EntryFor(PassthroughInode inode, in Statx stat) => new()
    {
        NodeId = inode.NodeId,
        EntryTimeout = _options.EntryTimeout,
        AttributeTimeout = _options.AttributeTimeout,
        Attributes = ToAttributes(stat),
    };
}
