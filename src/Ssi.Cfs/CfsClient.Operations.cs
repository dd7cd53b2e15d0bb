using Ssi.Cfs.Wire;
using Ssi.Fuse;

namespace Ssi.Cfs;

/// <summary>The <see cref="IFileSystem"/> operations, each one request to the server.</summary>
public sealed partial class CfsClient
{
    private FuseEntry WithTimeouts(FuseEntry entry)
    {
        entry.EntryTimeout = _options.CacheTimeout;
        entry.AttributeTimeout = _options.CacheTimeout;
        return entry;
    }

    /// <summary>A lookup, or (with <paramref name="parent"/>) a change that made a new name in that directory.</summary>
    private async ValueTask<FuseResult<FuseEntry>> EntryCallAsync(CfsWriter request, ulong parent = 0)
    {
        long epoch = _directories.Epoch;
        var (error, r) = await CallAsync(request).ConfigureAwait(false);
        if (!error.IsOk)
            return error;
        var entry = WithTimeouts(r.Entry());
        _writes.Remember(entry.NodeId, entry.Attributes);
        if (parent != 0)
            OfferParent(ref r, parent, epoch);
        return entry;
    }

    private async ValueTask<Errno> ErrnoCallAsync(CfsWriter request)
    {
        var (error, _) = await CallAsync(request).ConfigureAwait(false);
        return error;
    }

    /// <summary>An unlink or rmdir: the reply ends with the directory's attributes after it.</summary>
    private async ValueTask<Errno> RemovedAsync(ulong parent, CfsWriter request)
    {
        long epoch = _directories.Epoch;
        var (error, r) = await CallAsync(request).ConfigureAwait(false);
        if (error.IsOk)
            OfferParent(ref r, parent, epoch);
        return error;
    }

    /// <summary>
    /// A change in <paramref name="parent"/> ends its reply with the directory's attributes after it: kept for the
    /// kernel's next question if nothing else happened since the request (whose own change was epoch + 1).
    /// </summary>
    private void OfferParent(ref CfsReader r, ulong parent, long epoch)
    {
        if (r.Remaining > 0 && r.U8() != 0)
            _directories.Offer(parent, r.Attributes(), epoch + 1);
    }

    private async ValueTask<FuseResult<AttributeReply>> AttributeCallAsync(ulong node, CfsWriter request)
    {
        var (error, r) = await CallAsync(request).ConfigureAwait(false);
        if (!error.IsOk)
            return error;
        var attributes = r.Attributes();
        _writes.Remember(node, attributes);
        return new AttributeReply(attributes, _options.CacheTimeout);
    }

    /// <inheritdoc />
    public ValueTask<FuseResult<FuseEntry>> LookupAsync(FuseRequestContext context, ulong parent, FileName name)
    {
        if (IsNodeLink(parent, name))
            return new(NodeLinkEntry());
        return EntryCallAsync(Begin(CfsOp.Lookup, context, out _).U64(parent).Bytes(name.Span));
    }

    /// <inheritdoc />
    public void Forget(ulong node, ulong lookups)
    {
        _directories.Forget(node);
        if (node != NodeLinkId)
            _postponed.Writer.TryWrite(new Postponed(false, node, lookups, 0, 0, 0, 0));
    }

    /// <inheritdoc />
    public ValueTask<FuseResult<AttributeReply>> GetAttributesAsync(FuseRequestContext context, ulong node, ulong? handle)
    {
        if (node == NodeLinkId)
            return new(new AttributeReply(NodeLinkEntry().Attributes, _options.CacheTimeout));
        // The kernel asks before every write(2) (size and set-user-id bits): under write-behind this node knows.
        if (_writes.TryGetAttributes(node, out var known))
            return new(new AttributeReply(known, _options.CacheTimeout));
        // Asked again after this node's own create or unlink in the directory: the server's reply said.
        if (_directories.TryTake(node, out var directory))
            return new(new AttributeReply(directory, _options.CacheTimeout));
        return AttributeCallAsync(node, Begin(CfsOp.GetAttributes, context, out _).U64(node).U8(handle is null ? (byte)0 : (byte)1).U64(handle ?? 0));
    }

    /// <inheritdoc />
    public ValueTask<FuseResult<AttributeReply>> SetAttributesAsync(FuseRequestContext context, ulong node, SetAttributes attributes) =>
        node == NodeLinkId ? new(Errno.EPERM) : AttributeCallAsync(node, Begin(CfsOp.SetAttributes, context, out _).U64(node).SetAttributes(attributes));

    /// <inheritdoc />
    public async ValueTask<FuseResult<int>> ReadLinkAsync(FuseRequestContext context, ulong node, Memory<byte> destination)
    {
        if (node == NodeLinkId)
        {
            int n = Math.Min(NodeLinkTarget.Length, destination.Length);
            NodeLinkTarget.AsSpan(0, n).CopyTo(destination.Span);
            return n;
        }
        var (error, r) = await CallAsync(Begin(CfsOp.ReadLink, context, out _).U64(node).U32((uint)destination.Length)).ConfigureAwait(false);
        if (!error.IsOk)
            return error;
        var target = r.Rest();
        int length = Math.Min(target.Length, destination.Length);
        target.Span[..length].CopyTo(destination.Span);
        return length;
    }

    /// <inheritdoc />
    public ValueTask<FuseResult<FuseEntry>> SymlinkAsync(FuseRequestContext context, ulong parent, FileName name, FileName target) =>
        IsNodeLink(parent, name) ? new(Errno.EEXIST) : EntryCallAsync(Begin(CfsOp.Symlink, context, out _).U64(parent).Bytes(name.Span).Bytes(target.Span), parent);

    /// <inheritdoc />
    public ValueTask<FuseResult<FuseEntry>> MakeNodeAsync(FuseRequestContext context, ulong parent, FileName name, uint mode, uint rdev, uint umask) =>
        IsNodeLink(parent, name) ? new(Errno.EEXIST) : EntryCallAsync(Begin(CfsOp.MakeNode, context, out _).U64(parent).Bytes(name.Span).U32(mode).U32(rdev).U32(umask), parent);

    /// <inheritdoc />
    public ValueTask<FuseResult<FuseEntry>> MakeDirectoryAsync(FuseRequestContext context, ulong parent, FileName name, uint mode, uint umask) =>
        IsNodeLink(parent, name) ? new(Errno.EEXIST) : EntryCallAsync(Begin(CfsOp.MakeDirectory, context, out _).U64(parent).Bytes(name.Span).U32(mode).U32(umask), parent);

    /// <inheritdoc />
    public ValueTask<Errno> UnlinkAsync(FuseRequestContext context, ulong parent, FileName name) =>
        IsNodeLink(parent, name) ? new(Errno.EPERM) : RemovedAsync(parent, Begin(CfsOp.Unlink, context, out _).U64(parent).Bytes(name.Span));

    /// <inheritdoc />
    public ValueTask<Errno> RemoveDirectoryAsync(FuseRequestContext context, ulong parent, FileName name) =>
        IsNodeLink(parent, name) ? new(Errno.ENOTDIR) : RemovedAsync(parent, Begin(CfsOp.RemoveDirectory, context, out _).U64(parent).Bytes(name.Span));

    /// <inheritdoc />
    public ValueTask<Errno> RenameAsync(FuseRequestContext context, ulong parent, FileName name, ulong newParent, FileName newName, uint flags) =>
        IsNodeLink(parent, name) || IsNodeLink(newParent, newName)
            ? new(Errno.EPERM)
            : ErrnoCallAsync(Begin(CfsOp.Rename, context, out _).U64(parent).Bytes(name.Span).U64(newParent).Bytes(newName.Span).U32(flags));

    /// <inheritdoc />
    public ValueTask<FuseResult<FuseEntry>> LinkAsync(FuseRequestContext context, ulong node, ulong newParent, FileName newName) =>
        node == NodeLinkId || IsNodeLink(newParent, newName)
            ? new(Errno.EPERM)
            : EntryCallAsync(Begin(CfsOp.Link, context, out _).U64(node).U64(newParent).Bytes(newName.Span), newParent);

    /// <inheritdoc />
    public async ValueTask<FuseResult<FuseOpenReply>> OpenAsync(FuseRequestContext context, ulong node, int flags)
    {
        var (error, r) = await CallAsync(Begin(CfsOp.Open, context, out _).U64(node).I32(flags)).ConfigureAwait(false);
        if (!error.IsOk)
            return error;
        var open = r.Open();
        GrantedIf(ref r, node);
        return open;
    }

    /// <summary>An open or create reply ends with whether the server granted write-behind on the file.</summary>
    private void GrantedIf(ref CfsReader r, ulong node)
    {
        if (r.Remaining > 0 && r.U8() != 0)
            _writes.Grant(node);
    }

    /// <inheritdoc />
    public async ValueTask<FuseResult<FuseCreateReply>> CreateAsync(FuseRequestContext context, ulong parent, FileName name, int flags, uint mode, uint umask)
    {
        if (IsNodeLink(parent, name))
            return Errno.EEXIST;
        long epoch = _directories.Epoch;
        var (error, r) = await CallAsync(Begin(CfsOp.Create, context, out _).U64(parent).Bytes(name.Span).I32(flags).U32(mode).U32(umask)).ConfigureAwait(false);
        if (!error.IsOk)
            return error;
        var entry = WithTimeouts(r.Entry());
        var open = r.Open();
        GrantedIf(ref r, entry.NodeId);
        OfferParent(ref r, parent, epoch);
        _writes.Remember(entry.NodeId, entry.Attributes);
        return new FuseCreateReply(entry, open);
    }

    /// <inheritdoc />
    public async ValueTask<FuseResult<int>> ReadAsync(FuseRequestContext context, ulong node, ulong handle, long offset, Memory<byte> destination)
    {
        var (error, r) = await CallAsync(Begin(CfsOp.Read, context, out _).U64(node).U64(handle).I64(offset).U32((uint)destination.Length)).ConfigureAwait(false);
        if (!error.IsOk)
            return error;
        var data = r.Rest();
        int length = Math.Min(data.Length, destination.Length);
        data.Span[..length].CopyTo(destination.Span);
        return length;
    }

    /// <inheritdoc />
    public async ValueTask<FuseResult<int>> WriteAsync(FuseRequestContext context, ulong node, ulong handle, long offset, ReadOnlyMemory<byte> data, uint writeFlags)
    {
        if (await _writes.TryQueueAsync(node, handle, offset, writeFlags, data).ConfigureAwait(false))
            return data.Length;
        var request = Begin(CfsWriter.Rent(HeaderSize + 28 + data.Length), CfsOp.Write, context, out _)
            .U64(node).U64(handle).I64(offset).U32(writeFlags).Raw(data.Span);
        try
        {
            var (error, r) = await CallAsync(request).ConfigureAwait(false);
            return error.IsOk ? (int)r.U32() : error;
        }
        finally
        {
            // Sent (or failed) once the call returned: the link holds no reference to it any more.
            request.Return();
        }
    }

    // Writes already answered to their callers: a failure (or a short write) is reported at close or fsync.
    private async ValueTask<Errno[]> SendWriteBatchAsync(IReadOnlyList<QueuedWrite> batch)
    {
        var context = new FuseRequestContext(0, 0, 0, 0, CancellationToken.None);
        int size = HeaderSize + 4;
        foreach (var write in batch)
            size += 32 + write.Length;
        // Megabytes per batch: a pooled buffer of the exact size, no large-object allocation or regrowth per batch.
        var request = Begin(CfsWriter.Rent(size), CfsOp.WriteBatch, context, out _).U32((uint)batch.Count);
        try
        {
            foreach (var write in batch)
                request.U64(write.Node).U64(write.Handle).I64(write.Offset).U32(write.Flags).Bytes(write.Data.AsSpan(0, write.Length));
            var results = new Errno[batch.Count];
            var (error, r) = await CallAsync(request, behind: true).ConfigureAwait(false);
            for (int i = 0; i < batch.Count; i++)
            {
                int written = error.IsOk ? r.I32() : -error.Value;
                results[i] = written == batch[i].Length ? Errno.Ok : written < 0 ? new Errno(-written) : Errno.EIO;
            }
            return results;
        }
        finally
        {
            request.Return();
        }
    }

    /// <inheritdoc />
    public async ValueTask<FuseResult<FileSystemStatistics>> StatFsAsync(FuseRequestContext context, ulong node)
    {
        var (error, r) = await CallAsync(Begin(CfsOp.StatFs, context, out _).U64(node == NodeLinkId ? CfsServer.RootNode : node)).ConfigureAwait(false);
        return error.IsOk ? r.Statistics() : error;
    }

    /// <inheritdoc />
    public async ValueTask<Errno> FlushAsync(FuseRequestContext context, ulong node, ulong handle, ulong lockOwner)
    {
        // FLUSH only drops the closing process's POSIX locks at the server: one that never asked this
        // node's server for a lock on the file has none there, and close(2) needs no round trip.
        var error = _lockOwners.TryRemove((node, lockOwner), out _)
            ? await ErrnoCallAsync(Begin(CfsOp.Flush, context, out _).U64(node).U64(handle).U64(lockOwner)).ConfigureAwait(false)
            : await DrainedAsync().ConfigureAwait(false);
        var behind = _writes.TakeError(node);
        return behind.IsOk ? error : behind;
    }

    /// <inheritdoc />
    public ValueTask<Errno> ReleaseAsync(FuseRequestContext context, ulong node, ulong handle, int flags, uint releaseFlags, ulong lockOwner)
    {
        // The kernel does not wait for a release (close(2) has returned): one without locks goes in the next batch.
        if (!_detached && TryPostponeRelease(node, handle, flags, releaseFlags, lockOwner))
            return new(Errno.Ok);
        return ErrnoCallAsync(Begin(CfsOp.Release, context, out _).U64(node).U64(handle).I32(flags).U32(releaseFlags).U64(lockOwner));
    }

    /// <inheritdoc />
    public async ValueTask<Errno> FsyncAsync(FuseRequestContext context, ulong node, ulong handle, bool dataOnly)
    {
        var error = await ErrnoCallAsync(Begin(CfsOp.Fsync, context, out _).U64(node).U64(handle).U8(dataOnly ? (byte)1 : (byte)0)).ConfigureAwait(false);
        var behind = _writes.TakeError(node);
        return behind.IsOk ? error : behind;
    }

    /// <inheritdoc />
    public ValueTask<Errno> SetExtendedAttributeAsync(FuseRequestContext context, ulong node, FileName name, ReadOnlyMemory<byte> value, int flags) =>
        node == NodeLinkId ? new(Errno.EPERM) : ErrnoCallAsync(Begin(CfsOp.SetXattr, context, out _).U64(node).Bytes(name.Span).I32(flags).Raw(value.Span));

    /// <inheritdoc />
    public async ValueTask<FuseResult<int>> GetExtendedAttributeAsync(FuseRequestContext context, ulong node, FileName name, Memory<byte> destination)
    {
        if (node == NodeLinkId)
            return Errno.ENODATA;
        // The kernel asks for this one before every write(2) (file_remove_privs); under write-behind nobody else sets it.
        bool capability = name.Span.SequenceEqual("security.capability"u8);
        if (capability && _writes.KnowsNoCapability(node))
            return Errno.ENODATA;
        var (error, r) = await CallAsync(Begin(CfsOp.GetXattr, context, out _).U64(node).Bytes(name.Span).U32((uint)destination.Length)).ConfigureAwait(false);
        if (capability && error == Errno.ENODATA)
            _writes.RememberNoCapability(node);
        return error.IsOk ? CopyOut(ref r, destination) : error;
    }

    /// <inheritdoc />
    public async ValueTask<FuseResult<int>> ListExtendedAttributesAsync(FuseRequestContext context, ulong node, Memory<byte> destination)
    {
        if (node == NodeLinkId)
            return 0;
        var (error, r) = await CallAsync(Begin(CfsOp.ListXattr, context, out _).U64(node).U32((uint)destination.Length)).ConfigureAwait(false);
        return error.IsOk ? CopyOut(ref r, destination) : error;
    }

    private static int CopyOut(ref CfsReader r, Memory<byte> destination)
    {
        int size = (int)r.U32();
        var data = r.Rest();
        data.Span[..Math.Min(data.Length, destination.Length)].CopyTo(destination.Span);
        return size;
    }

    /// <inheritdoc />
    public ValueTask<Errno> RemoveExtendedAttributeAsync(FuseRequestContext context, ulong node, FileName name) =>
        node == NodeLinkId ? new(Errno.EPERM) : ErrnoCallAsync(Begin(CfsOp.RemoveXattr, context, out _).U64(node).Bytes(name.Span));

    /// <inheritdoc />
    public async ValueTask<FuseResult<FuseOpenReply>> OpenDirectoryAsync(FuseRequestContext context, ulong node, int flags)
    {
        var (error, r) = await CallAsync(Begin(CfsOp.OpenDirectory, context, out _).U64(node).I32(flags)).ConfigureAwait(false);
        return error.IsOk ? r.Open() : error;
    }

    /// <inheritdoc />
    public async ValueTask<Errno> ReadDirectoryAsync(FuseRequestContext context, ulong node, ulong handle, long offset, DirectoryEntryWriter entries)
    {
        var (error, r) = await CallAsync(Begin(CfsOp.ReadDirectory, context, out _).U64(node).U64(handle).I64(offset).U32(4096)).ConfigureAwait(false);
        if (!error.IsOk)
            return error;
        // fuse_dirent records: ino u64, off u64, namelen u32, type u32, name, padded to 8 bytes.
        var dirents = r.Rest().Span;
        if (node == CfsServer.RootNode)
        {
            if (offset == 0)
                _rootListings.TryRemove(handle, out _);
            if (dirents.IsEmpty && !_rootListings.ContainsKey(handle) && entries.TryAdd("node"u8, NodeLinkId, FileModes.Symlink >> 12, long.MaxValue))
                _rootListings[handle] = 0;
        }
        while (dirents.Length >= 24)
        {
            ulong ino = BitConverter.ToUInt64(dirents);
            long next = BitConverter.ToInt64(dirents[8..]);
            int nameLength = BitConverter.ToInt32(dirents[16..]);
            uint type = BitConverter.ToUInt32(dirents[20..]);
            if (24 + nameLength > dirents.Length || !entries.TryAdd(dirents.Slice(24, nameLength), ino, type, next))
                break;
            dirents = dirents[Math.Min(dirents.Length, (24 + nameLength + 7) & ~7)..];
        }
        return Errno.Ok;
    }

    /// <inheritdoc />
    public ValueTask<Errno> ReleaseDirectoryAsync(FuseRequestContext context, ulong node, ulong handle)
    {
        _rootListings.TryRemove(handle, out _);
        return ErrnoCallAsync(Begin(CfsOp.ReleaseDirectory, context, out _).U64(node).U64(handle));
    }

    /// <inheritdoc />
    public ValueTask<Errno> FsyncDirectoryAsync(FuseRequestContext context, ulong node, ulong handle, bool dataOnly) =>
        ErrnoCallAsync(Begin(CfsOp.FsyncDirectory, context, out _).U64(node).U64(handle).U8(dataOnly ? (byte)1 : (byte)0));

    /// <inheritdoc />
    public async ValueTask<FuseResult<FileLock>> GetLockAsync(FuseRequestContext context, ulong node, ulong handle, ulong owner, FileLock request)
    {
        var (error, r) = await CallAsync(Begin(CfsOp.GetLock, context, out _).U64(node).U64(handle).U64(owner).Lock(request)).ConfigureAwait(false);
        return error.IsOk ? r.Lock() : error;
    }

    /// <inheritdoc />
    public async ValueTask<Errno> SetLockAsync(FuseRequestContext context, ulong node, ulong handle, ulong owner, FileLock request, bool wait, bool isFlock)
    {
        if (!isFlock && request.Type != LockType.Unlock)
            _lockOwners.TryAdd((node, owner), 0);
        _lockedHandles.TryAdd((node, handle), 0);
        var message = Begin(CfsOp.SetLock, context, out ulong id).U64(node).U64(handle).U64(owner).Lock(request)
            .U8(wait ? (byte)1 : (byte)0).U8(isFlock ? (byte)1 : (byte)0);
        var (error, _) = await CallAsync(message, waitsForLock: wait, requestId: id, interrupt: context.Cancellation).ConfigureAwait(false);
        return error;
    }

    /// <inheritdoc />
    public ValueTask<Errno> AccessAsync(FuseRequestContext context, ulong node, int mask) =>
        node == NodeLinkId ? new(Errno.Ok) : ErrnoCallAsync(Begin(CfsOp.Access, context, out _).U64(node).I32(mask));

    /// <inheritdoc />
    public ValueTask<Errno> FallocateAsync(FuseRequestContext context, ulong node, ulong handle, long offset, long length, int mode) =>
        ErrnoCallAsync(Begin(CfsOp.Fallocate, context, out _).U64(node).U64(handle).I64(offset).I64(length).I32(mode));

    /// <inheritdoc />
    public async ValueTask<FuseResult<long>> SeekAsync(FuseRequestContext context, ulong node, ulong handle, long offset, int whence)
    {
        var (error, r) = await CallAsync(Begin(CfsOp.Seek, context, out _).U64(node).U64(handle).I64(offset).I32(whence)).ConfigureAwait(false);
        return error.IsOk ? r.I64() : error;
    }

    /// <inheritdoc />
    public async ValueTask<FuseResult<long>> CopyFileRangeAsync(FuseRequestContext context, ulong nodeIn, ulong handleIn, long offsetIn, ulong nodeOut, ulong handleOut, long offsetOut, long length, ulong flags)
    {
        var (error, r) = await CallAsync(Begin(CfsOp.CopyFileRange, context, out _).U64(nodeIn).U64(handleIn).I64(offsetIn)
            .U64(nodeOut).U64(handleOut).I64(offsetOut).I64(length).U64(flags)).ConfigureAwait(false);
        return error.IsOk ? r.I64() : error;
    }
}
