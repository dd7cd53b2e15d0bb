using Ssi.Fuse.Protocol;

namespace Ssi.Fuse.Dispatch;

/// <summary>Record and flock locks: GETLK, SETLK, SETLKW.</summary>
internal sealed partial class FuseDispatcher
{
    private async ValueTask GetLockAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        LockIn input = WireReader.Read<LockIn>(body.Span);
        var context = Begin(h);
        try
        {
            FuseResult<FileLock> result = await _fs.GetLockAsync(context, h.NodeId, input.FileHandle, input.Owner, WireConvert.FromWire(input.Lock)).ConfigureAwait(false);
            if (result.IsOk)
                Reply(h.Unique, WireConvert.ToWire(result.Value));
            else
                ReplyError(h.Unique, result.Error);
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private async ValueTask SetLockAsync(InHeader h, ReadOnlyMemory<byte> body, bool wait)
    {
        LockIn input = WireReader.Read<LockIn>(body.Span);
        bool isFlock = (input.LockFlags & LockIn.FlagFlock) != 0;
        var context = Begin(h);
        try
        {
            ReplyError(h.Unique, await _fs.SetLockAsync(context, h.NodeId, input.FileHandle, input.Owner, WireConvert.FromWire(input.Lock), wait, isFlock).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }
}
