using Ssi.Fuse.Protocol;

namespace Ssi.Fuse.Dispatch;

/// <summary>Open-file requests: OPEN(DIR), CREATE, READ, WRITE, FLUSH, RELEASE(DIR), FSYNC(DIR), FALLOCATE, LSEEK, COPY_FILE_RANGE.</summary>
internal sealed partial class FuseDispatcher
{
    private async ValueTask OpenAsync(InHeader h, ReadOnlyMemory<byte> body, bool directory)
    {
        OpenIn input = WireReader.Read<OpenIn>(body.Span);
        var context = Begin(h);
        try
        {
            FuseResult<FuseOpenReply> result = directory
                ? await _fs.OpenDirectoryAsync(context, h.NodeId, (int)input.Flags).ConfigureAwait(false)
                : await _fs.OpenAsync(context, h.NodeId, (int)input.Flags).ConfigureAwait(false);
            if (result.IsOk)
                Reply(h.Unique, WireConvert.ToWire(result.Value));
            else
                ReplyError(h.Unique, result.Error);
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask CreateAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        CreateIn input = WireReader.Read<CreateIn>(body.Span);
        FileName name = WireReader.Name(body, WireReader.SizeOf<CreateIn>(), out _);
        var context = Begin(h);
        try
        {
            FuseResult<FuseCreateReply> result = await _fs.CreateAsync(context, h.NodeId, name, (int)input.Flags, input.Mode, input.Umask).ConfigureAwait(false);
            if (result.IsOk)
                Reply(h.Unique, WireConvert.ToWire(result.Value.Entry), WireConvert.ToWire(result.Value.Open));
            else
                ReplyError(h.Unique, result.Error);
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask ReadAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        ReadIn input = WireReader.Read<ReadIn>(body.Span);
        int size = (int)Math.Min(input.Size, (uint)Math.Max(_options.MaxWrite, 128 * 1024));
        byte[] buffer = RentReply(size);
        var context = Begin(h);
        try
        {
            FuseResult<int> result = await _fs.ReadAsync(context, h.NodeId, input.FileHandle, (long)input.Offset, buffer.AsMemory(OutHeader.Size, size)).ConfigureAwait(false);
            if (result.IsOk)
                ReplyBuffer(h.Unique, buffer, Math.Clamp(result.Value, 0, size));
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

    private async ValueTask WriteAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        WriteIn input = WireReader.Read<WriteIn>(body.Span);
        int available = Math.Max(0, body.Length - WriteIn.Size);
        ReadOnlyMemory<byte> data = body.Slice(Math.Min(WriteIn.Size, body.Length), (int)Math.Min(input.Length, (uint)available));
        var context = Begin(h);
        try
        {
            FuseResult<int> result = await _fs.WriteAsync(context, h.NodeId, input.FileHandle, (long)input.Offset, data, input.WriteFlags).ConfigureAwait(false);
            if (result.IsOk)
                Reply(h.Unique, new WriteOut { Size = (uint)result.Value });
            else
                ReplyError(h.Unique, result.Error);
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask FlushAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        FlushIn input = WireReader.Read<FlushIn>(body.Span);
        var context = Begin(h);
        try
        {
            ReplyError(h.Unique, await _fs.FlushAsync(context, h.NodeId, input.FileHandle, input.LockOwner).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask ReleaseAsync(InHeader h, ReadOnlyMemory<byte> body, bool directory)
    {
        ReleaseIn input = WireReader.Read<ReleaseIn>(body.Span);
        var context = Begin(h);
        try
        {
            Errno result = directory
                ? await _fs.ReleaseDirectoryAsync(context, h.NodeId, input.FileHandle).ConfigureAwait(false)
                : await _fs.ReleaseAsync(context, h.NodeId, input.FileHandle, (int)input.Flags, input.ReleaseFlags, input.LockOwner).ConfigureAwait(false);
            // The kernel does not look at RELEASE errors; an unimplemented release is not a failure.
            ReplyError(h.Unique, result == Errno.ENOSYS ? Errno.Ok : result);
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask FsyncAsync(InHeader h, ReadOnlyMemory<byte> body, bool directory)
    {
        FsyncIn input = WireReader.Read<FsyncIn>(body.Span);
        bool dataOnly = (input.FsyncFlags & 1) != 0;
        var context = Begin(h);
        try
        {
            Errno result = directory
                ? await _fs.FsyncDirectoryAsync(context, h.NodeId, input.FileHandle, dataOnly).ConfigureAwait(false)
                : await _fs.FsyncAsync(context, h.NodeId, input.FileHandle, dataOnly).ConfigureAwait(false);
            ReplyError(h.Unique, result);
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask FallocateAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        FallocateIn input = WireReader.Read<FallocateIn>(body.Span);
        var context = Begin(h);
        try
        {
            ReplyError(h.Unique, await _fs.FallocateAsync(context, h.NodeId, input.FileHandle, (long)input.Offset, (long)input.Length, (int)input.Mode).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask LseekAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        LseekIn input = WireReader.Read<LseekIn>(body.Span);
        var context = Begin(h);
        try
        {
            FuseResult<long> result = await _fs.SeekAsync(context, h.NodeId, input.FileHandle, (long)input.Offset, (int)input.Whence).ConfigureAwait(false);
            if (result.IsOk)
                Reply(h.Unique, new LseekOut { Offset = (ulong)result.Value });
            else
                ReplyError(h.Unique, result.Error);
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask CopyFileRangeAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        CopyFileRangeIn input = WireReader.Read<CopyFileRangeIn>(body.Span);
        var context = Begin(h);
        try
        {
            FuseResult<long> result = await _fs.CopyFileRangeAsync(context, h.NodeId, input.FileHandleIn, (long)input.OffsetIn,
                input.NodeIdOut, input.FileHandleOut, (long)input.OffsetOut, (long)Math.Min(input.Length, uint.MaxValue), input.Flags).ConfigureAwait(false);
            if (result.IsOk)
                Reply(h.Unique, new WriteOut { Size = (uint)Math.Min(result.Value, uint.MaxValue) });
            else
                ReplyError(h.Unique, result.Error);
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }
}
