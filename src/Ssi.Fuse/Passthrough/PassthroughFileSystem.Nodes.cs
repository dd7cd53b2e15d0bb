using Ssi.Fuse.Native;

namespace Ssi.Fuse.Passthrough;

/// <summary>Lookups, attributes and the namespace: lookup, forget, getattr, setattr, readlink, symlink, mknod, mkdir, unlink, rmdir, rename, link, statfs, access.</summary>
public sealed partial class PassthroughFileSystem
{
    /// <inheritdoc />
    public ValueTask<FuseResult<FuseEntry>> LookupAsync(FuseRequestContext context, ulong parent, FileName name) =>
        Done(LookupCore(parent, name.Span));

    /// <inheritdoc />
    public void Forget(ulong node, ulong lookups) => _inodes.Forget(node, lookups);

    /// <summary>
    /// The node <paramref name="name"/> in <paramref name="parent"/> has now, or 0 when the kernel holds none
    /// for it; no lookup is counted. One statx, where a lookup and its forget take four system calls.
    /// </summary>
    public unsafe ulong KnownNode(ulong parent, FileName name)
    {
        PassthroughInode? dir = Node(parent);
        Span<byte> path = stackalloc byte[NativePath.NameBufferSize];
        if (dir is null || !NativePath.TryName(name.Span, path))
            return 0;
        Statx stat = default;
        int rc;
        fixed (byte* p = path)
            rc = Libc.Statx(dir.Fd, p, Libc.AT_SYMLINK_NOFOLLOW, Statx.BasicStats, &stat);
        return rc == 0 ? _inodes.Find(InodeTable.DeviceOf(stat), stat.Ino) ?? 0 : 0;
    }

    /// <summary>Opens <paramref name="name"/> under <paramref name="parent"/> with O_PATH and counts one lookup of it.</summary>
    private unsafe FuseResult<FuseEntry> LookupCore(ulong parent, ReadOnlySpan<byte> name)
    {
        PassthroughInode? dir = Node(parent);
        if (dir is null)
            return Errno.ENOENT;
        Span<byte> path = stackalloc byte[NativePath.NameBufferSize];
        if (!NativePath.TryName(name, path))
            return name.Length >= NativePath.NameBufferSize ? Errno.ENAMETOOLONG : Errno.EINVAL;

        int fd;
        fixed (byte* p = path)
            fd = Libc.OpenAt(dir.Fd, p, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            Errno error = LastError();
            if (error == Errno.ENOENT && _options.NegativeTimeout > TimeSpan.Zero)
                return FuseEntry.Negative(_options.NegativeTimeout);
            return error;
        }
        Errno statError = StatNode(fd, out Statx stat);
        if (!statError.IsOk)
        {
            Libc.Close(fd);
            return statError;
        }
        PassthroughInode inode = _inodes.Reference(fd, stat);
        return EntryFor(inode, stat);
    }

    /// <inheritdoc />
    public ValueTask<FuseResult<AttributeReply>> GetAttributesAsync(FuseRequestContext context, ulong node, ulong? handle)
    {
        PassthroughInode? inode = Node(node);
        if (inode is null)
            return Done<AttributeReply>(Errno.ENOENT);
        Errno error = StatNode(inode.Fd, out Statx stat);
        return Done<AttributeReply>(error.IsOk ? new AttributeReply(ToAttributes(stat), _options.AttributeTimeout) : error);
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<AttributeReply>> SetAttributesAsync(FuseRequestContext context, ulong node, SetAttributes attributes)
    {
        PassthroughInode? inode = Node(node);
        if (inode is null)
            return Done<AttributeReply>(Errno.ENOENT);
        bool hasHandle = attributes.Has(SetAttributeFields.Handle) && !inode.IsDirectory;
        int handleFd = hasHandle ? (int)attributes.Handle : -1;
        Span<byte> proc = stackalloc byte[NativePath.ProcBufferSize];
        NativePath.Proc(inode.Fd, proc);
        byte empty = 0;
        fixed (byte* procPath = proc)
        {
            if (attributes.Has(SetAttributeFields.Mode))
            {
                if (Libc.Chmod(procPath, attributes.Mode & 0xFFF) != 0)
                    return Done<AttributeReply>(LastError());
            }
            if (attributes.Has(SetAttributeFields.Uid) || attributes.Has(SetAttributeFields.Gid))
            {
                uint uid = attributes.Has(SetAttributeFields.Uid) ? attributes.Uid : uint.MaxValue;
                uint gid = attributes.Has(SetAttributeFields.Gid) ? attributes.Gid : uint.MaxValue;
                if (Libc.FchownAt(inode.Fd, &empty, uid, gid, Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW) != 0)
                    return Done<AttributeReply>(LastError());
            }
            if (attributes.Has(SetAttributeFields.Size))
            {
                int rc = hasHandle ? Libc.Ftruncate(handleFd, (long)attributes.Size) : Libc.Truncate(procPath, (long)attributes.Size);
                if (rc != 0)
                    return Done<AttributeReply>(LastError());
            }
            if ((attributes.Fields & (SetAttributeFields.AccessTime | SetAttributeFields.ModificationTime |
                                      SetAttributeFields.AccessTimeNow | SetAttributeFields.ModificationTimeNow)) != 0)
            {
                Timespec* times = stackalloc Timespec[2];
                times[0] = TimeArgument(attributes, SetAttributeFields.AccessTimeNow, SetAttributeFields.AccessTime, attributes.AccessTime);
                times[1] = TimeArgument(attributes, SetAttributeFields.ModificationTimeNow, SetAttributeFields.ModificationTime, attributes.ModificationTime);
                int rc = hasHandle ? Libc.Futimens(handleFd, times) : Libc.UtimensAt(inode.Fd, &empty, times, Libc.AT_EMPTY_PATH);
                if (rc != 0)
                    return Done<AttributeReply>(LastError());
            }
        }
        Errno error = StatNode(inode.Fd, out Statx stat);
        return Done<AttributeReply>(error.IsOk ? new AttributeReply(ToAttributes(stat), _options.AttributeTimeout) : error);
    }

    private static Timespec TimeArgument(in SetAttributes a, SetAttributeFields now, SetAttributeFields given, TimeSpec value)
    {
        if (a.Has(now))
            return new Timespec { Nanoseconds = Libc.UTIME_NOW };
        if (a.Has(given))
            return new Timespec { Seconds = value.Seconds, Nanoseconds = value.Nanoseconds };
        return new Timespec { Nanoseconds = Libc.UTIME_OMIT };
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<int>> ReadLinkAsync(FuseRequestContext context, ulong node, Memory<byte> destination)
    {
        PassthroughInode? inode = Node(node);
        if (inode is null)
            return Done<int>(Errno.ENOENT);
        byte empty = 0;
        nint n;
        fixed (byte* p = destination.Span)
            n = Libc.ReadlinkAt(inode.Fd, &empty, p, destination.Length);
        return Done<int>(n < 0 ? LastError() : (int)n);
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<FuseEntry>> SymlinkAsync(FuseRequestContext context, ulong parent, FileName name, FileName target)
    {
        Span<byte> targetPath = stackalloc byte[4097];
        if (target.Length == 0 || target.Length >= targetPath.Length)
            return Done<FuseEntry>(Errno.ENAMETOOLONG);
        target.Span.CopyTo(targetPath);
        targetPath[target.Length] = 0;
        fixed (byte* t = targetPath)
            return Done(CreateNode(context, parent, name, NodeKind.Symlink, 0, 0, t));
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<FuseEntry>> MakeNodeAsync(FuseRequestContext context, ulong parent, FileName name, uint mode, uint rdev, uint umask) =>
        Done(CreateNode(context, parent, name, NodeKind.Special, mode, DecodeDevice(rdev), null));

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<FuseEntry>> MakeDirectoryAsync(FuseRequestContext context, ulong parent, FileName name, uint mode, uint umask) =>
        Done(CreateNode(context, parent, name, NodeKind.Directory, mode, 0, null));

    private enum NodeKind { Symlink, Special, Directory }

    /// <summary>Creates a node in <paramref name="parent"/>, gives it to the caller, and looks it up.</summary>
    private unsafe FuseResult<FuseEntry> CreateNode(FuseRequestContext context, ulong parent, FileName name, NodeKind kind, uint mode, ulong device, byte* target)
    {
        PassthroughInode? dir = Node(parent);
        if (dir is null)
            return Errno.ENOENT;
        Span<byte> path = stackalloc byte[NativePath.NameBufferSize];
        if (!NativePath.TryName(name, path))
            return Errno.EINVAL;
        fixed (byte* p = path)
        {
            int rc = kind switch
            {
                NodeKind.Symlink => Libc.SymlinkAt(target, dir.Fd, p),
                NodeKind.Directory => Libc.MkdirAt(dir.Fd, p, mode),
                _ => Libc.MknodAt(dir.Fd, p, mode, device),
            };
            if (rc != 0)
                return LastError();
            Errno owner = GiveToCaller(context, dir.Fd, p);
            if (!owner.IsOk)
            {
                Libc.UnlinkAt(dir.Fd, p, kind == NodeKind.Directory ? Libc.AT_REMOVEDIR : 0);
                return owner;
            }
        }
        return LookupCore(parent, name.Span);
    }

    /// <summary>
    /// The server creates as root; the new node then gets the caller's uid, and its gid unless the
    /// directory is set-group-id (then the directory's group, as the kernel already chose).
    /// </summary>
    private unsafe Errno GiveToCaller(FuseRequestContext context, int dirFd, byte* name)
    {
        if (!KernelMount.IsRoot || (context.Uid == 0 && context.Gid == 0))
            return Errno.Ok;
        Errno dirError = StatNode(dirFd, out Statx dirStat);
        if (!dirError.IsOk)
            return dirError;
        const uint SetGid = 0x400;
        uint gid = (dirStat.Mode & SetGid) != 0 ? uint.MaxValue : context.Gid;
        return Libc.FchownAt(dirFd, name, context.Uid, gid, Libc.AT_SYMLINK_NOFOLLOW) == 0 ? Errno.Ok : LastError();
    }

    /// <inheritdoc />
    public ValueTask<Errno> UnlinkAsync(FuseRequestContext context, ulong parent, FileName name) => Done(Remove(parent, name, 0));

    /// <inheritdoc />
    public ValueTask<Errno> RemoveDirectoryAsync(FuseRequestContext context, ulong parent, FileName name) => Done(Remove(parent, name, Libc.AT_REMOVEDIR));

    private unsafe Errno Remove(ulong parent, FileName name, int flags)
    {
        PassthroughInode? dir = Node(parent);
        if (dir is null)
            return Errno.ENOENT;
        Span<byte> path = stackalloc byte[NativePath.NameBufferSize];
        if (!NativePath.TryName(name, path))
            return Errno.EINVAL;
        fixed (byte* p = path)
            return Libc.UnlinkAt(dir.Fd, p, flags) == 0 ? Errno.Ok : LastError();
    }

    /// <inheritdoc />
    public unsafe ValueTask<Errno> RenameAsync(FuseRequestContext context, ulong parent, FileName name, ulong newParent, FileName newName, uint flags)
    {
        PassthroughInode? from = Node(parent), to = Node(newParent);
        if (from is null || to is null)
            return Done(Errno.ENOENT);
        Span<byte> oldPath = stackalloc byte[NativePath.NameBufferSize];
        Span<byte> newPath = stackalloc byte[NativePath.NameBufferSize];
        if (!NativePath.TryName(name, oldPath) || !NativePath.TryName(newName, newPath))
            return Done(Errno.EINVAL);
        fixed (byte* o = oldPath)
        fixed (byte* n = newPath)
            return Done(Libc.RenameAt2(from.Fd, o, to.Fd, n, flags) == 0 ? Errno.Ok : LastError());
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<FuseEntry>> LinkAsync(FuseRequestContext context, ulong node, ulong newParent, FileName newName)
    {
        PassthroughInode? inode = Node(node), dir = Node(newParent);
        if (inode is null || dir is null)
            return Done<FuseEntry>(Errno.ENOENT);
        Span<byte> proc = stackalloc byte[NativePath.ProcBufferSize];
        NativePath.Proc(inode.Fd, proc);
        Span<byte> path = stackalloc byte[NativePath.NameBufferSize];
        if (!NativePath.TryName(newName, path))
            return Done<FuseEntry>(Errno.EINVAL);
        fixed (byte* source = proc)
        fixed (byte* target = path)
        {
            if (Libc.LinkAt(Libc.AT_FDCWD, source, dir.Fd, target, Libc.AT_SYMLINK_FOLLOW) != 0)
                return Done<FuseEntry>(LastError());
        }
        return Done(LookupCore(newParent, newName.Span));
    }

    /// <inheritdoc />
    public unsafe ValueTask<FuseResult<FileSystemStatistics>> StatFsAsync(FuseRequestContext context, ulong node)
    {
        PassthroughInode? inode = Node(node) ?? Node(InodeTable.RootId);
        var st = default(Statvfs);
        if (inode is null || Libc.Fstatvfs(inode.Fd, &st) != 0)
            return Done<FileSystemStatistics>(inode is null ? Errno.ENOENT : LastError());
        return Done<FileSystemStatistics>(new FileSystemStatistics
        {
            Blocks = st.Blocks, BlocksFree = st.BlocksFree, BlocksAvailable = st.BlocksAvailable,
            Files = st.Files, FilesFree = st.FilesFree,
            BlockSize = (uint)st.BlockSize, FragmentSize = (uint)st.FragmentSize, NameMaxLength = (uint)st.NameMax,
        });
    }

    /// <inheritdoc />
    public ValueTask<Errno> AccessAsync(FuseRequestContext context, ulong node, int mask)
    {
        PassthroughInode? inode = Node(node);
        if (inode is null)
            return Done(Errno.ENOENT);
        Errno error = StatNode(inode.Fd, out Statx stat);
        if (!error.IsOk || mask == 0)
            return Done(error);
        uint mode = stat.Mode;
        uint granted;
        if (context.Uid == 0)
            granted = 6u | ((mode & 0x49) != 0 || (mode & FileModes.TypeMask) == FileModes.Directory ? 1u : 0u);
        else if (context.Uid == stat.Uid)
            granted = (mode >> 6) & 7;
        else if (context.Gid == stat.Gid)
            granted = (mode >> 3) & 7;
        else
            granted = mode & 7;
        return Done(((uint)mask & ~granted) == 0 ? Errno.Ok : Errno.EACCES);
    }
}
