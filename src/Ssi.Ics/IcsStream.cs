using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Ssi.Protocol;

namespace Ssi.Ics;

/// <summary>
/// A byte stream inside a connection, with credit-based backpressure: a sender never has
/// more than <see cref="Window"/> bytes in flight that the reader has not consumed, so a slow
/// reader slows the writer instead of filling memory.
/// </summary>
public sealed class IcsStream : Stream
{
    /// <summary>Bytes a sender may have unconsumed at the receiver.</summary>
    public const int Window = 4 * 1024 * 1024;

    /// <summary>The largest data frame a stream sends: large enough to amortise frame overhead,
    /// small enough to interleave with requests. Relays read this much at a time.</summary>
    public const int ChunkSize = 256 * 1024;

    private readonly Connection _connection;
    private readonly ConcurrentQueue<Segment> _inbound = new();
    private readonly WakeSignal _readable = new();
    private readonly WakeSignal _writable = new();
    private Segment? _current;
    private long _unconsumed;
    private long _consumedSinceGrant;
    private long _credit = Window;
    private int _remoteDone;
    private int _localDone;
    private int _disposed;
    private string? _failure;

    internal IcsStream(Connection connection, ulong id, ushort method)
    {
        _connection = connection;
        Id = id;
        Method = method;
    }

    /// <summary>Stream id within its connection.</summary>
    public ulong Id { get; }

    /// <summary>The method the stream was opened for.</summary>
    public ushort Method { get; }

    /// <summary>Who is at the other end.</summary>
    public PeerIdentity Peer => _connection.Peer;

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
            return 0;
        while (true)
        {
            if (_current is null && !_inbound.TryDequeue(out _current))
            {
                // The peer's end first: a peer that completed and then let go (reset, or lost
                // its connection) has delivered everything; reading it to the end is no failure.
                if (Volatile.Read(ref _remoteDone) == 1 && _inbound.IsEmpty)
                    return 0;
                if (_failure is not null)
                    throw new IOException(_failure);
                await _readable.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            var taken = _current.CopyTo(buffer.Span);
            if (_current.IsEmpty)
            {
                _current.Dispose();
                _current = null;
            }
            Consumed(taken);
            return taken;
        }
    }

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _localDone) == 1)
            throw new InvalidOperationException("the stream was completed for writing");
        while (!buffer.IsEmpty)
        {
            var credit = Volatile.Read(ref _credit);
            if (credit <= 0)
            {
                if (_failure is not null)
                    throw new IOException(_failure);
                await _writable.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            var chunk = (int)Math.Min(Math.Min(credit, ChunkSize), buffer.Length);
            Interlocked.Add(ref _credit, -chunk);
            await SendAsync(FrameKind.StreamData, buffer[..chunk], cancellationToken).ConfigureAwait(false);
            buffer = buffer[chunk..];
        }
    }

    /// <summary>Tells the peer no more bytes follow; reading goes on until the peer completes too.</summary>
    public async ValueTask CompleteWritesAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _localDone, 1) != 0)
            return;
        // A peer that completed and let go already wants nothing more from this side.
        if (_failure is not null && Volatile.Read(ref _remoteDone) == 1)
            return;
        await SendAsync(FrameKind.StreamEnd, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Ends the stream. If both sides completed it, it is simply forgotten; otherwise the peer is
    /// told to abandon it (reset).
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        var clean = Volatile.Read(ref _localDone) == 1 && Volatile.Read(ref _remoteDone) == 1;
        if (!clean && _failure is null && _connection.IsOpen)
        {
            try
            {
                await SendAsync(FrameKind.StreamReset, ReadOnlyMemory<byte>.Empty, default).ConfigureAwait(false);
            }
            catch (SsiException)
            {
            }
        }
        _connection.Forget(this);
        Drain();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && Volatile.Read(ref _disposed) == 0)
            DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    private ValueTask SendAsync(FrameKind kind, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (_failure is not null)
            throw new IOException(_failure);
        return _connection.SendFrameAsync(kind, Method, Id, payload, ct);
    }

    internal string? Enqueue(ReceiveBuffer buffer, ReadOnlySequence<byte> payload)
    {
        if (Volatile.Read(ref _remoteDone) == 1)
            return $"data on stream {Id} after its end";
        if (Interlocked.Add(ref _unconsumed, payload.Length) > Window)
            return $"peer overran the window of stream {Id}";
        if (Volatile.Read(ref _disposed) == 1)
            return null;
        _inbound.Enqueue(Segment.Share(buffer, payload));
        _readable.Set();
        return null;
    }

    internal void Grant(uint bytes)
    {
        Interlocked.Add(ref _credit, bytes);
        _writable.Set();
    }

    internal void RemoteCompleted()
    {
        Volatile.Write(ref _remoteDone, 1);
        _readable.Set();
    }

    internal void RemoteReset() => Fail($"stream {Id} was reset by {_connection.Peer}");

    /// <summary>Refuses a stream nobody serves.</summary>
    internal void Abort()
    {
        _failure = "no handler";
        _connection.Forget(this);
        _connection.SendInBackground(FrameKind.StreamReset, Method, Id, ReadOnlyMemory<byte>.Empty);
    }

    internal void Fail(string reason)
    {
        _failure ??= reason;
        _readable.Set();
        _writable.Set();
    }

    private void Consumed(int bytes)
    {
        Interlocked.Add(ref _unconsumed, -bytes);
        // Grant in batches: one credit frame per half window, not per read.
        if (Interlocked.Add(ref _consumedSinceGrant, bytes) < Window / 4)
            return;
        var grant = Interlocked.Exchange(ref _consumedSinceGrant, 0);
        if (grant <= 0 || Volatile.Read(ref _remoteDone) == 1 || _failure is not null)
            return;
        var raw = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(raw, (uint)grant);
        _connection.SendInBackground(FrameKind.StreamCredit, Method, Id, raw);
    }

    private void Drain()
    {
        _current?.Dispose();
        _current = null;
        while (_inbound.TryDequeue(out var segment))
            segment.Dispose();
    }

    /// <summary>A received chunk: a slice of a receive buffer, held by reference.</summary>
    private sealed class Segment : IDisposable
    {
        private ReceiveBuffer? _buffer;
        private int _offset;
        private readonly int _end;

        private Segment(ReceiveBuffer buffer, int offset, int length)
        {
            _buffer = buffer;
            _offset = offset;
            _end = offset + length;
        }

        public bool IsEmpty => _offset == _end;

        // The payload is one contiguous slice of the receive buffer's array.
        public static Segment Share(ReceiveBuffer buffer, ReadOnlySequence<byte> payload)
        {
            if (!System.Runtime.InteropServices.MemoryMarshal.TryGetArray(payload.First, out var slice) || !payload.IsSingleSegment)
                throw new InvalidOperationException("stream data must be a single slice of the receive buffer");
            return new Segment(buffer.AddReference(), slice.Offset, slice.Count);
        }

        public int CopyTo(Span<byte> destination)
        {
            var n = Math.Min(destination.Length, _end - _offset);
            _buffer!.Array.AsSpan(_offset, n).CopyTo(destination);
            _offset += n;
            return n;
        }

        public void Dispose()
        {
            Interlocked.Exchange(ref _buffer, null)?.Release();
        }
    }
}
