using Ssi.Fuse.Protocol;

namespace Ssi.Fuse.Dispatch;

/// <summary>Extended attributes: SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR.</summary>
internal sealed partial class FuseDispatcher
{
    private const int XattrSizeMax = 64 * 1024;

    private async ValueTask SetXattrAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        // Without FUSE_SETXATTR_EXT the kernel sends the 8-byte compat header.
        SetXattrIn input = WireReader.Read<SetXattrIn>(body.Span);
        FileName name = WireReader.Name(body, WireReader.SizeOf<SetXattrIn>(), out int next);
        ReadOnlyMemory<byte> value = body.Slice(Math.Min(next, body.Length), (int)Math.Min(input.Size, (uint)Math.Max(0, body.Length - next)));
        var context = Begin(h);
        try
        {
            ReplyError(h.Unique, await _fs.SetExtendedAttributeAsync(context, h.NodeId, name, value, (int)input.Flags).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }

    private ValueTask GetXattrAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        GetXattrIn input = WireReader.Read<GetXattrIn>(body.Span);
        FileName name = WireReader.Name(body, WireReader.SizeOf<GetXattrIn>(), out _);
        return XattrQueryAsync(h, input.Size, name, list: false);
    }

    private ValueTask ListXattrAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        GetXattrIn input = WireReader.Read<GetXattrIn>(body.Span);
        return XattrQueryAsync(h, input.Size, default, list: true);
    }

    /// <summary>GETXATTR and LISTXATTR share the protocol: size 0 asks for the size needed, otherwise for the data.</summary>
    private async ValueTask XattrQueryAsync(InHeader h, uint requested, FileName name, bool list)
    {
        int size = (int)Math.Min(requested, XattrSizeMax);
        byte[] buffer = RentReply(size);
        var context = Begin(h);
        try
        {
            Memory<byte> destination = buffer.AsMemory(OutHeader.Size, size);
            FuseResult<int> result = list
                ? await _fs.ListExtendedAttributesAsync(context, h.NodeId, destination).ConfigureAwait(false)
                : await _fs.GetExtendedAttributeAsync(context, h.NodeId, name, destination).ConfigureAwait(false);
            if (!result.IsOk)
                ReplyError(h.Unique, result.Error);
            else if (size == 0)
                Reply(h.Unique, new GetXattrOut { Size = (uint)result.Value });
            else
                ReplyBuffer(h.Unique, buffer, Math.Clamp(result.Value, 0, size));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally
        {
            End(h.Unique);
            ReturnReply(buffer);
        }
    }

    private async ValueTask RemoveXattrAsync(InHeader h, ReadOnlyMemory<byte> body)
    {
        FileName name = WireReader.Name(body, 0, out _);
        var context = Begin(h);
        try
        {
            ReplyError(h.Unique, await _fs.RemoveExtendedAttributeAsync(context, h.NodeId, name).ConfigureAwait(false));
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally { End(h.Unique); }
    }
}
