using Ssi.Fuse.Protocol;

namespace Ssi.Fuse.Dispatch;

/// <summary>Namespace and attribute requests: LOOKUP, GETATTR, SETATTR, READLINK, SYMLINK, MKNOD, MKDIR, UNLINK, RMDIR, RENAME(2), LINK, STATFS, ACCESS.</summary>
internal sealed partial class FuseDispatcher
{
    private async ValueTask LookupAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        FileName name = WireReader.Name(body, 0, out _);
        var context = Begin(h);
        try
        {
            ReplyEntry(h.Unique, await _fs.LookupAsync(context, h.NodeId, name).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask GetAttrAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        GetAttrIn input = WireReader.Read<GetAttrIn>(body.Span);
        ulong? handle = (input.Flags & GetAttrIn.FlagFileHandle) != 0 ? input.FileHandle : null;
        var context = Begin(h);
        try
        {
            ReplyAttributes(h.Unique, await _fs.GetAttributesAsync(context, h.NodeId, handle).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask SetAttrAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        SetAttributes attributes = WireConvert.FromWire(WireReader.Read<SetAttrIn>(body.Span));
        var context = Begin(h);
        try
        {
            ReplyAttributes(h.Unique, await _fs.SetAttributesAsync(context, h.NodeId, attributes).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask ReadLinkAsync(InHeader h)
    {
        const int PathMax = 4096;
        byte[] buffer = RentReply(PathMax);
        var context = Begin(h);
        try
        {
            FuseResult<int> result = await _fs.ReadLinkAsync(context, h.NodeId, buffer.AsMemory(OutHeader.Size, PathMax)).ConfigureAwait(false);
            if (result.IsOk)
                ReplyBuffer(h.Unique, buffer, Math.Clamp(result.Value, 0, PathMax));
            else
                ReplyError(h.Unique, result.Error);
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally
        {
            End(h.Unique);
            ReturnReply(buffer);
        }
    }

    private async ValueTask SymlinkAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        FileName name = WireReader.Name(body, 0, out int next);
        FileName target = WireReader.Name(body, next, out _);
        var context = Begin(h);
        try
        {
            ReplyEntry(h.Unique, await _fs.SymlinkAsync(context, h.NodeId, name, target).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask MkNodAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        MkNodIn input = WireReader.Read<MkNodIn>(body.Span);
        FileName name = WireReader.Name(body, WireReader.SizeOf<MkNodIn>(), out _);
        var context = Begin(h);
        try
        {
            ReplyEntry(h.Unique, await _fs.MakeNodeAsync(context, h.NodeId, name, input.Mode, input.Rdev, input.Umask).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask MkDirAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        MkDirIn input = WireReader.Read<MkDirIn>(body.Span);
        FileName name = WireReader.Name(body, WireReader.SizeOf<MkDirIn>(), out _);
        var context = Begin(h);
        try
        {
            ReplyEntry(h.Unique, await _fs.MakeDirectoryAsync(context, h.NodeId, name, input.Mode, input.Umask).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask UnlinkAsync(InHeader h, ReadOnlyMemory<byte> body, bool directory)
    {
        FileName name = WireReader.Name(body, 0, out _);
        var context = Begin(h);
        try
        {
            Errno result = directory
                ? await _fs.RemoveDirectoryAsync(context, h.NodeId, name).ConfigureAwait(false)
                : await _fs.UnlinkAsync(context, h.NodeId, name).ConfigureAwait(false);
            ReplyError(h.Unique, result);
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask RenameAsync(InHeader h, ReadOnlyMemory<byte> body, int headerSize)
    {
        Rename2In input = WireReader.Read<Rename2In>(body.Span[..Math.Min(headerSize, body.Length)]);
        FileName oldName = WireReader.Name(body, headerSize, out int next);
        FileName newName = WireReader.Name(body, next, out _);
        var context = Begin(h);
        try
        {
            ReplyError(h.Unique, await _fs.RenameAsync(context, h.NodeId, oldName, input.NewDir, newName, input.Flags).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask LinkAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        LinkIn input = WireReader.Read<LinkIn>(body.Span);
        FileName name = WireReader.Name(body, WireReader.SizeOf<LinkIn>(), out _);
        var context = Begin(h);
        try
        {
            ReplyEntry(h.Unique, await _fs.LinkAsync(context, input.OldNodeId, h.NodeId, name).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask StatFsAsync(InHeader h)
    {
        var context = Begin(h);
        try
        {
            FuseResult<FileSystemStatistics> result = await _fs.StatFsAsync(context, h.NodeId).ConfigureAwait(false);
            if (result.IsOk)
                Reply(h.Unique, WireConvert.ToWire(result.Value));
            else
                ReplyError(h.Unique, result.Error);
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask AccessAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        AccessIn input = WireReader.Read<AccessIn>(body.Span);
        var context = Begin(h);
        try
        {
            ReplyError(h.Unique, await _fs.AccessAsync(context, h.NodeId, (int)input.Mask).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private void ReplyEntry(ulong unique, in FuseResult<FuseEntry> result)
    {
        if (result.IsOk)
            Reply(unique, WireConvert.ToWire(result.Value));
        else
            ReplyError(unique, result.Error);
    }

    private void ReplyAttributes(ulong unique, in FuseResult<AttributeReply> result)
    {
        if (result.IsOk)
            Reply(unique, WireConvert.ToWire(result.Value));
        else
            ReplyError(unique, result.Error);
    }
}
