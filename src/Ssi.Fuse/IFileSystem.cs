namespace Ssi.Fuse;

/// <summary>
/// A file system served through FUSE, node-based like the kernel protocol (the "low-level" API):
/// nodes are named by the 64-bit ids the file system hands out in <see cref="FuseEntry"/>, and
/// 1 is the root. Every method has a default that answers ENOSYS, so an implementation overrides
/// only what it supports.
/// </summary>
/// <remarks>
/// <para>Methods may complete synchronously (the common case, served on the reading thread without
/// allocation) or asynchronously (the session keeps reading other requests meanwhile). A handler that
/// can block for long (a lock wait, a remote call) should honour
/// <see cref="FuseRequestContext.Cancellation"/>, which fires when the kernel interrupts the request.</para>
/// <para>Lookup counting: every successful LOOKUP, MKNOD, MKDIR, SYMLINK, LINK, CREATE and counted
/// READDIRPLUS entry adds one reference to the node; <see cref="Forget"/> removes them. A node id
/// must stay valid until its count reaches zero.</para>
/// <para>Memory passed in (<see cref="FileName"/>, data, destinations) belongs to the session's buffers
/// and is valid only until the returned task completes.</para>
/// </remarks>
public interface IFileSystem
{
    /// <summary>Called once INIT has been negotiated, before any other request.</summary>
    void Initialize(FuseConnectionInfo connection) { }

    /// <summary>Called when the kernel ends the session (DESTROY) or the mount is disposed.</summary>
    void Destroy() { }

    /// <summary>Looks up <paramref name="name"/> in directory <paramref name="parent"/> (counts a lookup on success).</summary>
    ValueTask<FuseResult<FuseEntry>> LookupAsync(FuseRequestContext context, ulong parent, FileName name) => NotImplemented<FuseEntry>();

    /// <summary>The kernel dropped <paramref name="lookups"/> references to <paramref name="node"/>. No reply.</summary>
    void Forget(ulong node, ulong lookups) { }

    /// <summary>Attributes of <paramref name="node"/>; <paramref name="handle"/> is set when the caller used an open file (fstat).</summary>
    ValueTask<FuseResult<AttributeReply>> GetAttributesAsync(FuseRequestContext context, ulong node, ulong? handle) => NotImplemented<AttributeReply>();

    /// <summary>chmod, chown, truncate, utimes: changes the fields named in <paramref name="attributes"/>.</summary>
    ValueTask<FuseResult<AttributeReply>> SetAttributesAsync(FuseRequestContext context, ulong node, SetAttributes attributes) => NotImplemented<AttributeReply>();

    /// <summary>Copies the target of symlink <paramref name="node"/> into <paramref name="destination"/>; returns its length.</summary>
    ValueTask<FuseResult<int>> ReadLinkAsync(FuseRequestContext context, ulong node, Memory<byte> destination) => NotImplemented<int>();

    /// <summary>Creates symlink <paramref name="name"/> → <paramref name="target"/> in <paramref name="parent"/>.</summary>
    ValueTask<FuseResult<FuseEntry>> SymlinkAsync(FuseRequestContext context, ulong parent, FileName name, FileName target) => NotImplemented<FuseEntry>();

    /// <summary>Creates a file, fifo, socket or device node (mode includes the type bits; umask already applied by the kernel).</summary>
    ValueTask<FuseResult<FuseEntry>> MakeNodeAsync(FuseRequestContext context, ulong parent, FileName name, uint mode, uint rdev, uint umask) => NotImplemented<FuseEntry>();

    /// <summary>Creates a directory.</summary>
    ValueTask<FuseResult<FuseEntry>> MakeDirectoryAsync(FuseRequestContext context, ulong parent, FileName name, uint mode, uint umask) => NotImplemented<FuseEntry>();

    /// <summary>Removes a non-directory name.</summary>
    ValueTask<Errno> UnlinkAsync(FuseRequestContext context, ulong parent, FileName name) => NotImplementedErrno();

    /// <summary>Removes an empty directory.</summary>
    ValueTask<Errno> RemoveDirectoryAsync(FuseRequestContext context, ulong parent, FileName name) => NotImplementedErrno();

    /// <summary>Renames; <paramref name="flags"/> are renameat2 flags (RENAME_NOREPLACE 1, RENAME_EXCHANGE 2, RENAME_WHITEOUT 4).</summary>
    ValueTask<Errno> RenameAsync(FuseRequestContext context, ulong parent, FileName name, ulong newParent, FileName newName, uint flags) => NotImplementedErrno();

    /// <summary>Creates hard link <paramref name="newName"/> in <paramref name="newParent"/> to <paramref name="node"/>.</summary>
    ValueTask<FuseResult<FuseEntry>> LinkAsync(FuseRequestContext context, ulong node, ulong newParent, FileName newName) => NotImplemented<FuseEntry>();

    /// <summary>Opens a file; <paramref name="flags"/> are open(2) flags (O_CREAT, O_EXCL, O_NOCTTY removed by the kernel).</summary>
    ValueTask<FuseResult<FuseOpenReply>> OpenAsync(FuseRequestContext context, ulong node, int flags) => NotImplemented<FuseOpenReply>();

    /// <summary>Reads up to <paramref name="destination"/>.Length bytes at <paramref name="offset"/>; returns the count (short only at EOF unless direct I/O).</summary>
    ValueTask<FuseResult<int>> ReadAsync(FuseRequestContext context, ulong node, ulong handle, long offset, Memory<byte> destination) => NotImplemented<int>();

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>; returns the count written.</summary>
    /// <param name="context">The caller.</param>
    /// <param name="node">The file.</param>
    /// <param name="handle">The open handle (guessed by the kernel for writeback-cache writes).</param>
    /// <param name="offset">Where to write.</param>
    /// <param name="data">The bytes.</param>
    /// <param name="writeFlags">FUSE_WRITE_* flags: 1 cache (delayed writeback), 2 lock owner valid, 4 kill suid/sgid.</param>
    ValueTask<FuseResult<int>> WriteAsync(FuseRequestContext context, ulong node, ulong handle, long offset, ReadOnlyMemory<byte> data, uint writeFlags) => NotImplemented<int>();

    /// <summary>statfs of the file system holding <paramref name="node"/>.</summary>
    ValueTask<FuseResult<FileSystemStatistics>> StatFsAsync(FuseRequestContext context, ulong node) => NotImplemented<FileSystemStatistics>();

    /// <summary>Called on every close(2) of a descriptor of the open file; POSIX locks of <paramref name="lockOwner"/> must be released.</summary>
    ValueTask<Errno> FlushAsync(FuseRequestContext context, ulong node, ulong handle, ulong lockOwner) => NotImplementedErrno();

    /// <summary>The last reference to the open file is gone. <paramref name="releaseFlags"/>: 1 flush, 2 release flock locks.</summary>
    ValueTask<Errno> ReleaseAsync(FuseRequestContext context, ulong node, ulong handle, int flags, uint releaseFlags, ulong lockOwner) => NotImplementedErrno();

    /// <summary>fsync (or fdatasync when <paramref name="dataOnly"/>).</summary>
    ValueTask<Errno> FsyncAsync(FuseRequestContext context, ulong node, ulong handle, bool dataOnly) => NotImplementedErrno();

    /// <summary>Sets extended attribute <paramref name="name"/>; <paramref name="flags"/> are XATTR_CREATE (1) / XATTR_REPLACE (2).</summary>
    ValueTask<Errno> SetExtendedAttributeAsync(FuseRequestContext context, ulong node, FileName name, ReadOnlyMemory<byte> value, int flags) => NotImplementedErrno();

    /// <summary>Copies the value of extended attribute <paramref name="name"/> into <paramref name="destination"/>; with an empty destination returns the size needed; ERANGE when too small.</summary>
    ValueTask<FuseResult<int>> GetExtendedAttributeAsync(FuseRequestContext context, ulong node, FileName name, Memory<byte> destination) => NotImplemented<int>();

    /// <summary>Copies the NUL-separated attribute names into <paramref name="destination"/>; with an empty destination returns the size needed.</summary>
    ValueTask<FuseResult<int>> ListExtendedAttributesAsync(FuseRequestContext context, ulong node, Memory<byte> destination) => NotImplemented<int>();

    /// <summary>Removes extended attribute <paramref name="name"/>.</summary>
    ValueTask<Errno> RemoveExtendedAttributeAsync(FuseRequestContext context, ulong node, FileName name) => NotImplementedErrno();

    /// <summary>Opens a directory for listing.</summary>
    ValueTask<FuseResult<FuseOpenReply>> OpenDirectoryAsync(FuseRequestContext context, ulong node, int flags) => NotImplemented<FuseOpenReply>();

    /// <summary>Lists entries from <paramref name="offset"/> (0 = start) into <paramref name="entries"/> until it is full or the directory ends.</summary>
    ValueTask<Errno> ReadDirectoryAsync(FuseRequestContext context, ulong node, ulong handle, long offset, DirectoryEntryWriter entries) => NotImplementedErrno();

    /// <summary>The directory handle is closed.</summary>
    ValueTask<Errno> ReleaseDirectoryAsync(FuseRequestContext context, ulong node, ulong handle) => NotImplementedErrno();

    /// <summary>fsync of a directory.</summary>
    ValueTask<Errno> FsyncDirectoryAsync(FuseRequestContext context, ulong node, ulong handle, bool dataOnly) => NotImplementedErrno();

    /// <summary>F_GETLK: the first lock that would conflict with <paramref name="request"/>, or a lock of type <see cref="LockType.Unlock"/>.</summary>
    ValueTask<FuseResult<FileLock>> GetLockAsync(FuseRequestContext context, ulong node, ulong handle, ulong owner, FileLock request) => NotImplemented<FileLock>();

    /// <summary>
    /// F_SETLK / F_SETLKW (<paramref name="wait"/>), or flock(2) when <paramref name="isFlock"/>.
    /// A waiting handler must end with EINTR when <see cref="FuseRequestContext.Cancellation"/> fires.
    /// </summary>
    ValueTask<Errno> SetLockAsync(FuseRequestContext context, ulong node, ulong handle, ulong owner, FileLock request, bool wait, bool isFlock) => NotImplementedErrno();

    /// <summary>access(2) check of <paramref name="mask"/> (R_OK 4, W_OK 2, X_OK 1, F_OK 0) for the caller. Not sent with default_permissions.</summary>
    ValueTask<Errno> AccessAsync(FuseRequestContext context, ulong node, int mask) => NotImplementedErrno();

    /// <summary>Creates and opens a regular file in one step (open with O_CREAT).</summary>
    ValueTask<FuseResult<FuseCreateReply>> CreateAsync(FuseRequestContext context, ulong parent, FileName name, int flags, uint mode, uint umask) => NotImplemented<FuseCreateReply>();

    /// <summary>fallocate(2).</summary>
    ValueTask<Errno> FallocateAsync(FuseRequestContext context, ulong node, ulong handle, long offset, long length, int mode) => NotImplementedErrno();

    /// <summary>lseek(2) for SEEK_DATA (3) and SEEK_HOLE (4); returns the new offset.</summary>
    ValueTask<FuseResult<long>> SeekAsync(FuseRequestContext context, ulong node, ulong handle, long offset, int whence) => NotImplemented<long>();

    /// <summary>copy_file_range(2) between two open files; returns the bytes copied.</summary>
    ValueTask<FuseResult<long>> CopyFileRangeAsync(FuseRequestContext context, ulong nodeIn, ulong handleIn, long offsetIn, ulong nodeOut, ulong handleOut, long offsetOut, long length, ulong flags) => NotImplemented<long>();

    /// <summary>An already completed ENOSYS result (for implementations' own defaults).</summary>
    protected static ValueTask<FuseResult<T>> NotImplemented<T>() => new(new FuseResult<T>(Errno.ENOSYS));

    /// <summary>An already completed ENOSYS errno.</summary>
    protected static ValueTask<Errno> NotImplementedErrno() => new(Errno.ENOSYS);
}
