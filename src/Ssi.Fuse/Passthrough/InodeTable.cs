using Ssi.Fuse.Native;

namespace Ssi.Fuse.Passthrough;

/// <summary>A backing inode the kernel knows: an O_PATH descriptor and the kernel's lookup count.</summary>
internal sealed class PassthroughInode
{
    public required ulong NodeId { get; init; }
    public required int Fd { get; init; }
    public required ulong Device { get; init; }
    public required ulong Ino { get; init; }
    public required uint Type { get; init; }
    public ulong Lookups { get; set; }
    public bool IsDirectory => Type == FileModes.Directory;
}

/// <summary>
/// Node ids handed to the kernel, each pinning the backing inode with an O_PATH descriptor until the
/// kernel forgets it. Hard links share one node (keyed by device and inode number).
/// </summary>
internal sealed unsafe class InodeTable : IDisposable
{
    public const ulong RootId = 1;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, PassthroughInode> _byNode = [];
    private readonly Dictionary<(ulong Device, ulong Ino), PassthroughInode> _byIdentity = [];
    private ulong _nextNode = RootId + 1;

    public InodeTable(int rootFd, in Statx root)
    {
        var inode = new PassthroughInode
        {
            NodeId = RootId, Fd = rootFd, Device = DeviceOf(root), Ino = root.Ino,
            Type = FileModes.Directory, Lookups = 1,
        };
        _byNode[RootId] = inode;
        _byIdentity[(inode.Device, inode.Ino)] = inode;
    }

    public int Count
    {
        get
        {
            lock (_lock)
                return _byNode.Count;
        }
    }

    public PassthroughInode? Get(ulong node)
    {
        lock (_lock)
            return _byNode.GetValueOrDefault(node);
    }

    /// <summary>The node of a live file's identity, or null when the kernel holds none (a deleted file's old node does not count).</summary>
    public ulong? Find(ulong device, ulong ino)
    {
        lock (_lock)
            return _byIdentity.TryGetValue((device, ino), out var inode) && !IsDeleted(inode) ? inode.NodeId : null;
    }

    /// <summary>
    /// Counts one lookup of the inode behind <paramref name="fd"/> (described by <paramref name="stat"/>).
    /// Takes ownership of <paramref name="fd"/>: it becomes the node's descriptor or is closed.
    /// </summary>
    public PassthroughInode Reference(int fd, in Statx stat)
    {
        var key = (DeviceOf(stat), stat.Ino);
        lock (_lock)
        {
            if (_byIdentity.TryGetValue(key, out var known) && !IsDeleted(known))
            {
                known.Lookups++;
                Libc.Close(fd);
                return known;
            }
            var inode = new PassthroughInode
            {
                NodeId = _nextNode++, Fd = fd, Device = key.Item1, Ino = key.Ino,
                Type = stat.Mode & FileModes.TypeMask, Lookups = 1,
            };
            _byNode[inode.NodeId] = inode;
            _byIdentity[key] = inode;
            return inode;
        }
    }

    public void Forget(ulong node, ulong lookups)
    {
        if (node == RootId)
            return;
        lock (_lock)
        {
            if (!_byNode.TryGetValue(node, out var inode))
                return;
            inode.Lookups = lookups >= inode.Lookups ? 0 : inode.Lookups - lookups;
            if (inode.Lookups > 0)
                return;
            _byNode.Remove(node);
            if (_byIdentity.TryGetValue((inode.Device, inode.Ino), out var current) && ReferenceEquals(current, inode))
                _byIdentity.Remove((inode.Device, inode.Ino));
            Libc.Close(inode.Fd);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var inode in _byNode.Values)
                Libc.Close(inode.Fd);
            _byNode.Clear();
            _byIdentity.Clear();
        }
    }

    public static ulong DeviceOf(in Statx stat) => ((ulong)stat.DevMajor << 32) | stat.DevMinor;

    // An inode number is reused only after the old inode is gone: a known node with no links left is stale.
    private static bool IsDeleted(PassthroughInode inode)
    {
        if (inode.NodeId == RootId)
            return false;
        var stat = default(Statx);
        byte empty = 0;
        return Libc.Statx(inode.Fd, &empty, Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW, Statx.BasicStats, &stat) != 0 || stat.LinkCount == 0;
    }
}
