using Ssi.Cfs.Wire;
using Ssi.Fuse;

namespace Ssi.Cfs;

/// <summary>The operations: decode, carry out on the store as the caller, track, invalidate, encode.</summary>
public sealed partial class CfsServer
{
    private async ValueTask<ReadOnlyMemory<byte>> OperateAsync(int peer, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var r = new CfsReader(payload);
        var op = (CfsOp)r.U8();
        ulong instance = r.U64();
        int client = ClientOf(peer, (int)r.U32());
        ulong request = r.U64();
        uint uid = r.U32(), gid = r.U32(), pid = r.U32();
        if (instance != Instance)
            return new CfsWriter(4).I32(CfsWire.StaleInstance).ToArray();
        var context = new FuseRequestContext(request, uid, gid, pid, ct);
        switch (op)
        {
            case CfsOp.Lookup:
            {
                ulong parent = r.U64();
                var name = new FileName(r.Bytes());
                var result = await _store.LookupAsync(context, parent, name).ConfigureAwait(false);
                if (result.IsOk && await HoldAsync(client, result.Value.NodeId).ConfigureAwait(false))
                    result = await RefreshedAsync(result.Value).ConfigureAwait(false);
                return Reply(result, (w, e) => w.Entry(e));
            }
            case CfsOp.GetAttributes:
            {
                ulong node = r.U64();
                bool hasHandle = r.U8() != 0;
                ulong handle = r.U64();
                var result = await _store.GetAttributesAsync(context, node, hasHandle ? handle : null).ConfigureAwait(false);
                return Reply(result, (w, a) => w.Attributes(a.Attributes));
            }
            case CfsOp.SetAttributes:
            {
                ulong node = r.U64();
                var change = r.SetAttributes();
                var result = await _store.SetAttributesAsync(context, node, change).ConfigureAwait(false);
                if (result.IsOk)
                    await PushAsync(client, StaleInode(node)).ConfigureAwait(false);
                return Reply(result, (w, a) => w.Attributes(a.Attributes));
            }
            case CfsOp.ReadLink:
            {
                ulong node = r.U64();
                var buffer = new byte[Math.Min(r.U32(), 65536u)];
                var result = await _store.ReadLinkAsync(context, node, buffer).ConfigureAwait(false);
                return Reply(result, (w, n) => w.Raw(buffer.AsSpan(0, n)));
            }
            case CfsOp.Symlink:
            {
                ulong parent = r.U64();
                var name = new FileName(r.Bytes());
                var target = new FileName(r.Bytes());
                return await CreatedAsync(client, parent, name, await _store.SymlinkAsync(context, parent, name, target).ConfigureAwait(false)).ConfigureAwait(false);
            }
            case CfsOp.MakeNode:
            {
                ulong parent = r.U64();
                var name = new FileName(r.Bytes());
                uint mode = r.U32(), rdev = r.U32(), umask = r.U32();
                return await CreatedAsync(client, parent, name, await _store.MakeNodeAsync(context, parent, name, mode, rdev, umask).ConfigureAwait(false)).ConfigureAwait(false);
            }
            case CfsOp.MakeDirectory:
            {
                ulong parent = r.U64();
                var name = new FileName(r.Bytes());
                uint mode = r.U32(), umask = r.U32();
                return await CreatedAsync(client, parent, name, await _store.MakeDirectoryAsync(context, parent, name, mode, umask).ConfigureAwait(false)).ConfigureAwait(false);
            }
            case CfsOp.Unlink:
            case CfsOp.RemoveDirectory:
            {
                ulong parent = r.U64();
                var name = new FileName(r.Bytes());
                ulong child = _store.KnownNode(parent, name);
                var error = op == CfsOp.Unlink
                    ? await _store.UnlinkAsync(context, parent, name).ConfigureAwait(false)
                    : await _store.RemoveDirectoryAsync(context, parent, name).ConfigureAwait(false);
                if (!error.IsOk)
                    return Reply(error);
                await PushAsync(client, StaleEntry(parent, name), StaleInode(child)).ConfigureAwait(false);
                return await WithParentAsync(new CfsWriter(128).I32(0), parent).ConfigureAwait(false);
            }
            case CfsOp.Rename:
            {
                ulong parent = r.U64();
                var name = new FileName(r.Bytes());
                ulong newParent = r.U64();
                var newName = new FileName(r.Bytes());
                uint flags = r.U32();
                ulong moved = _store.KnownNode(parent, name), replaced = _store.KnownNode(newParent, newName);
                var error = await _store.RenameAsync(context, parent, name, newParent, newName, flags).ConfigureAwait(false);
                if (error.IsOk)
                    await PushAsync(client, StaleEntry(parent, name), StaleEntry(newParent, newName), StaleInode(moved), StaleInode(replaced)).ConfigureAwait(false);
                return Reply(error);
            }
            case CfsOp.Link:
            {
                ulong node = r.U64();
                ulong newParent = r.U64();
                var newName = new FileName(r.Bytes());
                var result = await _store.LinkAsync(context, node, newParent, newName).ConfigureAwait(false);
                if (result.IsOk)
                    await PushAsync(client, StaleInode(node)).ConfigureAwait(false);
                return await CreatedAsync(client, newParent, newName, result).ConfigureAwait(false);
            }
            case CfsOp.Open:
            {
                ulong node = r.U64();
                int flags = r.I32();
                var result = await _store.OpenAsync(context, node, flags).ConfigureAwait(false);
                bool behind = false;
                if (result.IsOk)
                {
                    Track(client, s => s.Files.Add((node, result.Value.Handle)));
                    if ((flags & OpenTruncate) != 0)
                        await PushAsync(client, StaleInode(node)).ConfigureAwait(false);
                    behind = TryGrantWriteBehind(client, node, flags);
                }
                return Reply(result, (w, o) => w.Open(o).U8(behind ? (byte)1 : (byte)0));
            }
            case CfsOp.Create:
            {
                ulong parent = r.U64();
                var name = new FileName(r.Bytes());
                int flags = r.I32();
                uint mode = r.U32(), umask = r.U32();
                var result = await _store.CreateAsync(context, parent, name, flags, mode, umask).ConfigureAwait(false);
                bool behind = false;
                if (result.IsOk)
                {
                    var created = result.Value;
                    ulong file = created.Entry.NodeId;
                    if (await HoldAsync(client, file).ConfigureAwait(false))
                        result = created with { Entry = await RefreshedAsync(created.Entry).ConfigureAwait(false) };
                    Track(client, s => s.Files.Add((file, created.Open.Handle)));
                    await PushAsync(client, StaleEntry(parent, name), StaleInode(parent), StaleInode(file)).ConfigureAwait(false);
                    behind = TryGrantWriteBehind(client, file, flags);
                }
                if (!result.IsOk)
                    return Reply(result.Error);
                var reply = new CfsWriter(384).I32(0).Entry(result.Value.Entry).Open(result.Value.Open).U8(behind ? (byte)1 : (byte)0);
                return await WithParentAsync(reply, parent).ConfigureAwait(false);
            }
            case CfsOp.Read:
            {
                ulong node = r.U64(), handle = r.U64();
                long offset = r.I64();
                int size = (int)Math.Min(r.U32(), 16u << 20);
                var reply = new byte[4 + size];
                var result = await _store.ReadAsync(context, node, handle, offset, reply.AsMemory(4)).ConfigureAwait(false);
                BitConverter.TryWriteBytes(reply.AsSpan(0, 4), result.Error.Value);
                return result.IsOk ? reply.AsMemory(0, 4 + result.Value) : reply.AsMemory(0, 4);
            }
            case CfsOp.Write:
            {
                ulong node = r.U64(), handle = r.U64();
                long offset = r.I64();
                uint writeFlags = r.U32();
                var data = r.Rest();
                var result = await _store.WriteAsync(context, node, handle, offset, data, writeFlags).ConfigureAwait(false);
                if (result.IsOk)
                    await PushAsync(client, StaleInode(node)).ConfigureAwait(false);
                return Reply(result, (w, n) => w.U32((uint)n));
            }
            case CfsOp.WriteBatch:
                return await WriteBatchAsync(client, context, r).ConfigureAwait(false);
            case CfsOp.StatFs:
            {
                var result = await _store.StatFsAsync(context, r.U64()).ConfigureAwait(false);
                return Reply(result, (w, s) => w.Statistics(s));
            }
            case CfsOp.Flush:
            {
                ulong node = r.U64(), handle = r.U64(), owner = MapOwner(client, r.U64());
                Track(client, s => s.Locked.Remove((node, owner)));
                return Reply(await _store.FlushAsync(context, node, handle, owner).ConfigureAwait(false));
            }
            case CfsOp.Release:
            {
                ulong node = r.U64(), handle = r.U64();
                int flags = r.I32();
                uint releaseFlags = r.U32();
                return Reply(await ReleaseFileAsync(client, context, node, handle, flags, releaseFlags, r.U64()).ConfigureAwait(false));
            }
            case CfsOp.Fsync:
            {
                ulong node = r.U64(), handle = r.U64();
                return Reply(await _store.FsyncAsync(context, node, handle, r.U8() != 0).ConfigureAwait(false));
            }
            case CfsOp.SetXattr:
            {
                ulong node = r.U64();
                var name = new FileName(r.Bytes());
                int flags = r.I32();
                var error = await _store.SetExtendedAttributeAsync(context, node, name, r.Rest(), flags).ConfigureAwait(false);
                if (error.IsOk)
                    await PushAsync(client, StaleInode(node)).ConfigureAwait(false);
                return Reply(error);
            }
            case CfsOp.GetXattr:
            {
                ulong node = r.U64();
                var name = new FileName(r.Bytes());
                var buffer = new byte[Math.Min(r.U32(), 65536u)];
                var result = await _store.GetExtendedAttributeAsync(context, node, name, buffer).ConfigureAwait(false);
                return Reply(result, (w, n) => w.U32((uint)n).Raw(buffer.Length == 0 ? [] : buffer.AsSpan(0, n)));
            }
            case CfsOp.ListXattr:
            {
                ulong node = r.U64();
                var buffer = new byte[Math.Min(r.U32(), 65536u)];
                var result = await _store.ListExtendedAttributesAsync(context, node, buffer).ConfigureAwait(false);
                return Reply(result, (w, n) => w.U32((uint)n).Raw(buffer.Length == 0 ? [] : buffer.AsSpan(0, n)));
            }
            case CfsOp.RemoveXattr:
            {
                ulong node = r.U64();
                var error = await _store.RemoveExtendedAttributeAsync(context, node, new FileName(r.Bytes())).ConfigureAwait(false);
                if (error.IsOk)
                    await PushAsync(client, StaleInode(node)).ConfigureAwait(false);
                return Reply(error);
            }
            case CfsOp.OpenDirectory:
            {
                ulong node = r.U64();
                var result = await _store.OpenDirectoryAsync(context, node, r.I32()).ConfigureAwait(false);
                if (result.IsOk)
                    Track(client, s => s.Directories.Add((node, result.Value.Handle)));
                return Reply(result, (w, o) => w.Open(o));
            }
            case CfsOp.ReadDirectory:
            {
                ulong node = r.U64(), handle = r.U64();
                long offset = r.I64();
                var buffer = new byte[Math.Clamp(r.U32(), 512u, 1u << 20)];
                var entries = new DirectoryEntryWriter(buffer, plus: false);
                var error = await _store.ReadDirectoryAsync(context, node, handle, offset, entries).ConfigureAwait(false);
                if (!error.IsOk)
                    return Reply(error);
                return new CfsWriter(4 + entries.Length).I32(0).Raw(buffer.AsSpan(0, entries.Length)).Written;
            }
            case CfsOp.ReleaseDirectory:
            {
                ulong node = r.U64(), handle = r.U64();
                Track(client, s => s.Directories.Remove((node, handle)));
                return Reply(await _store.ReleaseDirectoryAsync(context, node, handle).ConfigureAwait(false));
            }
            case CfsOp.FsyncDirectory:
            {
                ulong node = r.U64(), handle = r.U64();
                return Reply(await _store.FsyncDirectoryAsync(context, node, handle, r.U8() != 0).ConfigureAwait(false));
            }
            case CfsOp.GetLock:
            {
                ulong node = r.U64(), handle = r.U64(), owner = MapOwner(client, r.U64());
                var result = await _store.GetLockAsync(context, node, handle, owner, r.Lock()).ConfigureAwait(false);
                return Reply(result, (w, l) => w.Lock(l));
            }
            case CfsOp.SetLock:
                return await SetLockAsync(client, context, r).ConfigureAwait(false);
            case CfsOp.Access:
            {
                ulong node = r.U64();
                return Reply(await _store.AccessAsync(context, node, r.I32()).ConfigureAwait(false));
            }
            case CfsOp.Fallocate:
            {
                ulong node = r.U64(), handle = r.U64();
                long offset = r.I64(), length = r.I64();
                var error = await _store.FallocateAsync(context, node, handle, offset, length, r.I32()).ConfigureAwait(false);
                if (error.IsOk)
                    await PushAsync(client, StaleInode(node)).ConfigureAwait(false);
                return Reply(error);
            }
            case CfsOp.Seek:
            {
                ulong node = r.U64(), handle = r.U64();
                long offset = r.I64();
                var result = await _store.SeekAsync(context, node, handle, offset, r.I32()).ConfigureAwait(false);
                return Reply(result, (w, o) => w.I64(o));
            }
            case CfsOp.CopyFileRange:
            {
                ulong nodeIn = r.U64(), handleIn = r.U64();
                long offsetIn = r.I64();
                ulong nodeOut = r.U64(), handleOut = r.U64();
                long offsetOut = r.I64(), length = r.I64();
                ulong flags = r.U64();
                var result = await _store.CopyFileRangeAsync(context, nodeIn, handleIn, offsetIn, nodeOut, handleOut, offsetOut, length, flags).ConfigureAwait(false);
                if (result.IsOk)
                    await PushAsync(client, StaleInode(nodeOut)).ConfigureAwait(false);
                return Reply(result, (w, n) => w.I64(n));
            }
            default:
                return Reply(Errno.ENOSYS);
        }
    }

    private const int OpenTruncate = 0x200;

    private async ValueTask<ReadOnlyMemory<byte>> CreatedAsync(int client, ulong parent, FileName name, FuseResult<FuseEntry> result)
    {
        if (result.IsOk)
        {
            if (await HoldAsync(client, result.Value.NodeId).ConfigureAwait(false))
                result = await RefreshedAsync(result.Value).ConfigureAwait(false);
            await PushAsync(client, StaleEntry(parent, name), StaleInode(parent)).ConfigureAwait(false);
        }
        if (!result.IsOk)
            return Reply(result.Error);
        return await WithParentAsync(new CfsWriter(256).I32(0).Entry(result.Value), parent).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends the reply to a change in <paramref name="parent"/> with the directory's attributes now: the changing
    /// node's kernel dropped its copy and would otherwise ask for them at its next path lookup (ChangedDirectories).
    /// </summary>
    private async ValueTask<ReadOnlyMemory<byte>> WithParentAsync(CfsWriter reply, ulong parent)
    {
        var context = new FuseRequestContext(0, 0, 0, 0, CancellationToken.None);
        var now = await _store.GetAttributesAsync(context, parent, null).ConfigureAwait(false);
        return (now.IsOk ? reply.U8(1).Attributes(now.Value.Attributes) : reply.U8(0)).Written;
    }

    /// <summary>F_SETLK(W) and flock: a waiting request ends when the client cancels it, the client node dies, or the lock is granted.</summary>
    private async ValueTask<ReadOnlyMemory<byte>> SetLockAsync(int client, FuseRequestContext context, CfsReader r)
    {
        ulong node = r.U64(), handle = r.U64(), owner = MapOwner(client, r.U64());
        var request = r.Lock();
        bool wait = r.U8() != 0, isFlock = r.U8() != 0;
        if (!isFlock && request.Type != LockType.Unlock)
        {
            Track(client, s =>
            {
                s.Locked.Add((node, owner));
                if (!s.LockedThrough.TryGetValue((node, handle), out var owners))
                    s.LockedThrough[(node, handle)] = owners = [];
                owners.Add(owner);
            });
        }
        if (!wait)
            return Reply(await _store.SetLockAsync(context, node, handle, owner, request, false, isFlock).ConfigureAwait(false));
        var waiting = BeginWait(client, context.Unique, context.Cancellation);
        try
        {
            var error = await _store.SetLockAsync(context with { Cancellation = waiting.Token }, node, handle, owner, request, true, isFlock).ConfigureAwait(false);
            return Reply(error);
        }
        finally
        {
            EndWait(client, context.Unique, waiting);
        }
    }
}
