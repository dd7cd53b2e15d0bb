using System.Buffers;
using System.Net.Sockets;
using Ssi.Protocol;

namespace Ssi.Ics;

public sealed partial class Connection
{
    // Small frames are copied next to their header so that one send carries the whole frame.
    private const int CoalesceLimit = 16 * 1024;
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    internal async ValueTask SendFrameAsync(FrameKind kind, ushort method, ulong id, ReadOnlyMemory<byte> payload,
        CancellationToken ct = default)
    {
        if (payload.Length > MaxPayload)
            throw new SsiException(Status.InvalidArgument, $"payload of {payload.Length} bytes exceeds the frame limit of {MaxPayload}");
        if (!IsOpen)
            throw Lost(CloseReason ?? "closed");

        var header = new FrameHeader(kind, method, id, payload.Length);
        var coalesce = payload.Length <= CoalesceLimit;
        var buffer = ArrayPool<byte>.Shared.Rent(coalesce ? FrameHeader.Size + payload.Length : FrameHeader.Size);
        try
        {
            header.Write(buffer);
            if (coalesce)
                payload.Span.CopyTo(buffer.AsSpan(FrameHeader.Size));

            await _sendLock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (coalesce)
                {
                    await SendAllAsync(buffer.AsMemory(0, FrameHeader.Size + payload.Length)).ConfigureAwait(false);
                }
                else
                {
                    await SendGatheredAsync(new ArraySegment<byte>(buffer, 0, FrameHeader.Size), payload).ConfigureAwait(false);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            Close($"send failed: {e.Message}");
            throw Lost(e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Never cancelled half-way: a partial frame would corrupt the stream for everyone.
    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None, _closing.Token).ConfigureAwait(false);
            if (sent <= 0)
                throw new IOException("socket closed while sending");
            bytes = bytes[sent..];
        }
    }

    // Header and a large payload leave in one sendmsg when the payload is array-backed.
    private async ValueTask SendGatheredAsync(ArraySegment<byte> header, ReadOnlyMemory<byte> payload)
    {
        if (!System.Runtime.InteropServices.MemoryMarshal.TryGetArray(payload, out var body))
        {
            await SendAllAsync(header).ConfigureAwait(false);
            await SendAllAsync(payload).ConfigureAwait(false);
            return;
        }
        var sent = await _socket.SendAsync([header, body], SocketFlags.None).ConfigureAwait(false);
        if (sent < header.Count)
        {
            await SendAllAsync(header.AsMemory(sent)).ConfigureAwait(false);
            sent = header.Count;
        }
        if (sent - header.Count < body.Count)
            await SendAllAsync(payload[(sent - header.Count)..]).ConfigureAwait(false);
    }

    internal void SendInBackground(FrameKind kind, ushort method, ulong id, ReadOnlyMemory<byte> payload)
    {
        var pending = SendFrameAsync(kind, method, id, payload);
        if (!pending.IsCompletedSuccessfully)
            _ = Observe(pending);

        static async Task Observe(ValueTask task)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (SsiException)
            {
                // The connection is closing; its owner already learned why.
            }
        }
    }
}
