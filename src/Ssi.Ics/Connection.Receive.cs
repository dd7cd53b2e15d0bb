using System.Buffers;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Ssi.Protocol;

namespace Ssi.Ics;

public sealed partial class Connection
{
    // Big enough for several stream chunks, so that few frames straddle two buffers.
    private const int ReceiveBufferSize = 1024 * 1024;

    private ReceiveBuffer? _receiving;

    /// <summary>
    /// Reads the socket into pooled buffers and dispatches frames in place. Stream data is handed
    /// to its stream as a slice of the buffer (no copy); only a frame cut by the end of a buffer
    /// is moved to the next one.
    /// </summary>
    private async Task ReceiveLoopAsync()
    {
        var buffer = ReceiveBuffer.Rent(ReceiveBufferSize);
        int start = 0, end = 0;
        var reason = "closed by peer";
        try
        {
            while (true)
            {
                (buffer, start, end) = MakeRoom(buffer, start, end);
                var read = await _socket.ReceiveAsync(buffer.Array.AsMemory(end), SocketFlags.None, _closing.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    if (end > start)
                    {
                        _counters.Truncated();
                        _log.LogWarning("connection from {Peer} ended inside a frame ({Bytes} bytes left over)", Peer, end - start);
                        reason = "truncated frame";
                    }
                    break;
                }
                end += read;
                _receiving = buffer;
                var unread = new ReadOnlySequence<byte>(buffer.Array, start, end - start);
                var malformed = DispatchAll(ref unread);
                start = end - (int)unread.Length;
                if (malformed is not null)
                {
                    _counters.Malformed();
                    _log.LogWarning("closing connection from {Peer}: malformed frame ({Reason})", Peer, malformed);
                    reason = $"malformed frame: {malformed}";
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            reason = CloseReason ?? "closed by this side";
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            reason = e.Message;
        }
        catch (Exception e)
        {
            // A bug in dispatch must cost this connection only, never the daemon.
            _log.LogError(e, "receive loop for {Peer} failed", Peer);
            reason = $"internal error: {e.Message}";
        }
        finally
        {
            _receiving = null;
            buffer.Release();
            Close(reason);
        }
    }

    /// <summary>
    /// Makes sure the next read has room and that the frame being received will fit: reuses the
    /// buffer when nobody holds a part of it, else moves the unread bytes to a fresh one.
    /// </summary>
    private (ReceiveBuffer Buffer, int Start, int End) MakeRoom(ReceiveBuffer buffer, int start, int end)
    {
        if (start == end && buffer.IsExclusive)
            return (buffer, 0, 0);
        var needed = Math.Max(PendingFrameSize(buffer, start, end), FrameHeader.Size);
        if (buffer.Capacity - start >= needed && end < buffer.Capacity)
            return (buffer, start, end);
        var next = ReceiveBuffer.Rent(Math.Max(ReceiveBufferSize, needed));
        buffer.Array.AsSpan(start, end - start).CopyTo(next.Array);
        buffer.Release();
        return (next, 0, end - start);
    }

    // The size of the frame whose start is unread, once its length field has arrived.
    private int PendingFrameSize(ReceiveBuffer buffer, int start, int end) =>
        end - start >= 4 ? (int)Math.Min(FrameHeader.Size + (long)MaxPayload, 4 + System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(buffer.Array.AsSpan(start))) : 0;

    /// <summary>Dispatches every whole frame in <paramref name="buffer"/>; returns why if one is malformed.</summary>
    private string? DispatchAll(ref ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            switch (_decoder.TryDecode(ref buffer, out var header, out var payload, out var reason))
            {
                case DecodeStatus.NeedMore:
                    return null;
                case DecodeStatus.Malformed:
                    return reason;
            }
            var problem = Dispatch(header, payload);
            if (problem is not null)
                return problem;
        }
    }

    private string? Dispatch(FrameHeader header, ReadOnlySequence<byte> payload)
    {
        switch (header.Kind)
        {
            case FrameKind.Request:
                ServeRequest(header.Method, header.Id, payload);
                return null;
            case FrameKind.Response or FrameKind.Error or FrameKind.Pong:
                CompletePending(header.Kind, header.Id, payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray());
                return null;
            case FrameKind.OneWay:
                DeliverOneWay(header.Method, payload.ToArray());
                return null;
            case FrameKind.Ping:
                SendInBackground(FrameKind.Pong, 0, header.Id, payload.ToArray());
                return null;
            case FrameKind.Cancel:
                CancelIncoming(header.Id);
                return null;
            case FrameKind.StreamOpen:
                return AcceptStream(header.Method, header.Id, payload.ToArray());
            case FrameKind.StreamData:
                return ReceiveStreamData(header.Id, payload);
            case FrameKind.StreamCredit:
                return ReceiveStreamCredit(header.Id, payload);
            case FrameKind.StreamEnd:
                ReceiveStreamEnd(header.Id);
                return null;
            case FrameKind.StreamReset:
                ReceiveStreamReset(header.Id);
                return null;
            default:
                return $"unexpected {header.Kind} frame after the handshake";
        }
    }

    private void DeliverOneWay(ushort method, byte[] payload)
    {
        var handler = _router.FindOneWay(method);
        if (handler is null)
        {
            _log.LogDebug("dropping one-way method 0x{Method:x4} from {Peer}: not served here", method, Peer);
            return;
        }
        try
        {
            handler(Peer, method, payload);
        }
        catch (Exception e)
        {
            _log.LogError(e, "one-way handler for method 0x{Method:x4} failed", method);
        }
    }
}
