using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Ssi.Protocol;

namespace Ssi.Ics;

public sealed partial class Connection
{
    private readonly ConcurrentDictionary<ulong, IcsStream> _streams = new();
    private ulong _nextStreamId;

    /// <summary>
    /// Opens a byte stream served by the peer's handler for <paramref name="method"/>;
    /// <paramref name="payload"/> tells the handler what the stream is for.
    /// </summary>
    public async Task<IcsStream> OpenStreamAsync(ushort method, ReadOnlyMemory<byte> payload, CancellationToken ct = default)
    {
        // Each side numbers its own streams with its own parity, so ids never clash.
        var id = Interlocked.Add(ref _nextStreamId, 2) - 2;
        var stream = new IcsStream(this, id, method);
        _streams[id] = stream;
        try
        {
            await SendFrameAsync(FrameKind.StreamOpen, method, id, payload, ct).ConfigureAwait(false);
        }
        catch
        {
            _streams.TryRemove(id, out _);
            throw;
        }
        return stream;
    }

    internal void Forget(IcsStream stream) => _streams.TryRemove(stream.Id, out _);

    private string? AcceptStream(ushort method, ulong id, byte[] payload)
    {
        if ((id & 1) == (_initiator ? 1UL : 0UL))
            return $"peer opened stream {id} with this side's parity";
        var stream = new IcsStream(this, id, method);
        if (!_streams.TryAdd(id, stream))
            return $"stream {id} opened twice";
        var handler = _router.FindStream(method);
        if (handler is null)
        {
            stream.Abort();
            return null;
        }
        _ = Task.Run(() => ServeStreamAsync(handler, stream, new IncomingRequest(Peer, method, payload)));
        return null;
    }

    private async Task ServeStreamAsync(StreamHandler handler, IcsStream stream, IncomingRequest open)
    {
        try
        {
            await handler(stream, open, _closing.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SsiException or OperationCanceledException or IOException)
        {
            _log.LogDebug("stream {Id} (method 0x{Method:x4}) from {Peer} ended: {Reason}", stream.Id, open.Method, Peer, e.Message);
        }
        catch (Exception e)
        {
            _log.LogError(e, "stream handler for method 0x{Method:x4} failed", open.Method);
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private string? ReceiveStreamData(ulong id, ReadOnlySequence<byte> payload)
    {
        if (!_streams.TryGetValue(id, out var stream))
            return null; // Reset by this side while data was in flight.
        return stream.Enqueue(_receiving!, payload);
    }

    private string? ReceiveStreamCredit(ulong id, ReadOnlySequence<byte> payload)
    {
        if (payload.Length != 4)
            return $"stream credit frame of {payload.Length} bytes (expected 4)";
        Span<byte> raw = stackalloc byte[4];
        payload.CopyTo(raw);
        if (_streams.TryGetValue(id, out var stream))
            stream.Grant(BinaryPrimitives.ReadUInt32LittleEndian(raw));
        return null;
    }

    private void ReceiveStreamEnd(ulong id)
    {
        if (_streams.TryGetValue(id, out var stream))
            stream.RemoteCompleted();
    }

    private void ReceiveStreamReset(ulong id)
    {
        if (_streams.TryRemove(id, out var stream))
            stream.RemoteReset();
    }

    private void FailStreams(string reason)
    {
        foreach (var (_, stream) in _streams)
            stream.Fail(reason);
        _streams.Clear();
    }
}
