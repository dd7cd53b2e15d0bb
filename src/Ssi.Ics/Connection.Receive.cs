using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Ssi.Protocol;

namespace Ssi.Ics;

public sealed partial class Connection
{
    private async Task ReceiveLoopAsync()
    {
        var reader = PipeReader.Create(new NetworkStream(_socket, ownsSocket: false),
            new StreamPipeReaderOptions(bufferSize: 512 * 1024, minimumReadSize: 64 * 1024));
        var reason = "closed by peer";
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(_closing.Token).ConfigureAwait(false);
                var buffer = read.Buffer;
                var malformed = DispatchAll(ref buffer);
                if (malformed is not null)
                {
                    _counters.Malformed();
                    _log.LogWarning("closing connection from {Peer}: malformed frame ({Reason})", Peer, malformed);
                    reason = $"malformed frame: {malformed}";
                    break;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        _counters.Truncated();
                        _log.LogWarning("connection from {Peer} ended inside a frame ({Bytes} bytes left over)", Peer, buffer.Length);
                        reason = "truncated frame";
                    }
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
            await reader.CompleteAsync().ConfigureAwait(false);
            Close(reason);
        }
    }

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
                ServeRequest(header.Method, header.Id, payload.ToArray());
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
