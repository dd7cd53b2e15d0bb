using Ssi.Fuse.Protocol;

namespace Ssi.Fuse.Dispatch;

/// <summary>Directory listing: READDIR and READDIRPLUS.</summary>
internal sealed partial class FuseDispatcher
{
    private async ValueTask ReadDirAsync(InHeader h, ReadOnlyMemory<byte> body, bool plus)
    {
        ReadIn input = WireReader.Read<ReadIn>(body.Span);
        int size = (int)Math.Min(input.Size, (uint)Math.Max(_options.MaxWrite, 128 * 1024));
        byte[] buffer = RentReply(size);
        var writer = new DirectoryEntryWriter(buffer.AsMemory(OutHeader.Size, size), plus);
        var context = Begin(h);
        try
        {
            Errno result = await _fs.ReadDirectoryAsync(context, h.NodeId, input.FileHandle, (long)input.Offset, writer).ConfigureAwait(false);
            // Entries already packed were counted as lookups by the file system: send them even if it then failed.
            if (result.IsOk || writer.Count > 0)
                ReplyBuffer(h.Unique, buffer, writer.Length);
            else
                ReplyError(h.Unique, result);
        }
        catch (Exception ex) { ReplyException(h, ex, context); }
        finally
        {
            End(h.Unique);
            ReturnReply(buffer);
        }
    }
}
