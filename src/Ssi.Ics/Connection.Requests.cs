using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Ssi.Protocol;

namespace Ssi.Ics;

public sealed partial class Connection
{
    private readonly ConcurrentDictionary<ulong, PendingRequest> _pending = new();
    private long _nextRequestId;
    private Timer? _deadlines;

    /// <summary>
    /// Sends a request and waits for its answer. Throws <see cref="SsiException"/> with the
    /// peer's status, <see cref="Status.DeadlineExceeded"/> when <paramref name="timeout"/> passes
    /// (the peer is told to drop it), or <see cref="Status.Unavailable"/> if the connection breaks.
    /// </summary>
    public async Task<byte[]> RequestAsync(ushort method, ReadOnlyMemory<byte> payload, TimeSpan timeout,
        CancellationToken ct = default)
    {
        var id = (ulong)Interlocked.Increment(ref _nextRequestId);
        var pending = new PendingRequest(method, Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds));
        _pending[id] = pending;
        EnsureDeadlineSweeper();
        using var cancel = ct.CanBeCanceled ? ct.UnsafeRegister(static p => ((PendingRequest)p!).TrySetCanceled(), pending) : default;
        try
        {
            await SendFrameAsync(FrameKind.Request, method, id, payload, ct).ConfigureAwait(false);
            if (!IsOpen)
                pending.TrySetException(Lost(CloseReason ?? "closed"));
            return await pending.Task.ConfigureAwait(false);
        }
        catch (SsiException e) when (e.Status == Status.DeadlineExceeded)
        {
            SendCancel(method, id);
            throw new SsiException(Status.DeadlineExceeded,
                $"{Peer} did not answer method 0x{method:x4} within {timeout.TotalMilliseconds:0} ms");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            SendCancel(method, id);
            throw;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    // One timer per connection sweeps deadlines: far cheaper than a timer per request. It ticks
    // only while requests are pending: an idle daemon's connections ticking 100 times a second
    // each kept pool threads waking (about 3% of a core per daemon).
    private void EnsureDeadlineSweeper()
    {
        if (!IsOpen)
            return;
        if (Volatile.Read(ref _deadlines) is null)
        {
            var timer = new Timer(static c => ((Connection)c!).SweepDeadlines(), this, Timeout.Infinite, Timeout.Infinite);
            if (Interlocked.CompareExchange(ref _deadlines, timer, null) is not null)
                timer.Dispose();
        }
        if (Interlocked.Exchange(ref _sweeping, 1) == 0)
            ArmSweeper(DeadlineResolutionMs);
    }

    private void ArmSweeper(int periodMs)
    {
        try
        {
            _deadlines?.Change(periodMs, periodMs);
        }
        catch (ObjectDisposedException)
        {
            // The connection closed: its pending requests have failed already.
        }
    }

    private const int DeadlineResolutionMs = 10;
    private int _sweeping;

    private void SweepDeadlines()
    {
        var now = Environment.TickCount64;
        foreach (var (_, pending) in _pending)
        {
            if (pending.Deadline <= now)
                pending.TrySetException(new SsiException(Status.DeadlineExceeded, "deadline passed"));
        }
        if (!_pending.IsEmpty)
            return;
        // Nothing pending: stop, then look again, since a request may have come in meanwhile
        // (it restarts the timer itself only if it sees the sweeper stopped).
        ArmSweeper(Timeout.Infinite);
        Volatile.Write(ref _sweeping, 0);
        if (!_pending.IsEmpty && Interlocked.Exchange(ref _sweeping, 1) == 0)
            ArmSweeper(DeadlineResolutionMs);
    }

    /// <summary>Sends a message that expects no answer.</summary>
    public ValueTask SendOneWayAsync(ushort method, ReadOnlyMemory<byte> payload, CancellationToken ct = default) =>
        SendFrameAsync(FrameKind.OneWay, method, 0, payload, ct);

    /// <summary>Measures one round trip of a ping frame (liveness probes, benchmarks).</summary>
    public async Task<TimeSpan> PingAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var started = TimeProvider.System.GetTimestamp();
        var id = (ulong)Interlocked.Increment(ref _nextRequestId);
        var pending = new PendingRequest(0, Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds));
        _pending[id] = pending;
        EnsureDeadlineSweeper();
        using var cancel = ct.CanBeCanceled ? ct.UnsafeRegister(static p => ((PendingRequest)p!).TrySetCanceled(), pending) : default;
        try
        {
            await SendFrameAsync(FrameKind.Ping, 0, id, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
            await pending.Task.ConfigureAwait(false);
            return TimeProvider.System.GetElapsedTime(started);
        }
        catch (SsiException e) when (e.Status == Status.DeadlineExceeded)
        {
            throw new SsiException(Status.DeadlineExceeded, $"{Peer} did not answer a ping within {timeout.TotalMilliseconds:0} ms");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private void SendCancel(ushort method, ulong id)
    {
        if (IsOpen)
            SendInBackground(FrameKind.Cancel, method, id, ReadOnlyMemory<byte>.Empty);
    }

    private void CompletePending(FrameKind kind, ulong id, ReadOnlySpan<byte> payload)
    {
        if (!_pending.TryGetValue(id, out var answer))
            return; // Its deadline passed already.
        if (kind == FrameKind.Error)
        {
            var error = ErrorReply.Decode(payload);
            answer.TrySetException(new SsiException(error.Status, error.Message));
        }
        else
        {
            answer.TrySetResult(payload.ToArray());
        }
    }

    private void FailPending(string reason)
    {
        Interlocked.Exchange(ref _deadlines, null)?.Dispose();
        foreach (var (_, answer) in _pending)
            answer.TrySetException(Lost(reason));
    }

    private void ServeRequest(ushort method, ulong id, in ReadOnlySequence<byte> received)
    {
        var handler = _router.FindRequest(method, out bool lent);
        if (handler is null)
        {
            Reply(id, method, new ErrorReply(Status.Unimplemented, $"method 0x{method:x4} is not served here"));
            return;
        }

        // A handler that reads its payload only until it completes gets it in a pooled buffer (Router.MapRequest).
        byte[]? pooled = null;
        ReadOnlyMemory<byte> payload;
        if (lent)
        {
            pooled = ArrayPool<byte>.Shared.Rent((int)received.Length);
            received.CopyTo(pooled);
            payload = pooled.AsMemory(0, (int)received.Length);
        }
        else
        {
            payload = received.ToArray();
        }

        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        _incoming[id] = cancel;
        ValueTask<ReadOnlyMemory<byte>> pending;
        try
        {
            pending = handler(new IncomingRequest(Peer, method, payload), cancel.Token);
        }
        catch (Exception e)
        {
            Finish(id, cancel, pooled);
            Reply(id, method, Describe(e, method));
            return;
        }

        if (pending.IsCompletedSuccessfully)
        {
            Finish(id, cancel, pooled);
            SendInBackground(FrameKind.Response, method, id, pending.Result);
        }
        else
        {
            _ = AwaitAndReply(pending, method, id, cancel, pooled);
        }
    }

    private async Task AwaitAndReply(ValueTask<ReadOnlyMemory<byte>> pending, ushort method, ulong id, CancellationTokenSource cancel, byte[]? pooled)
    {
        try
        {
            var result = await pending.ConfigureAwait(false);
            SendInBackground(FrameKind.Response, method, id, result);
        }
        catch (Exception e)
        {
            if (!cancel.IsCancellationRequested)
                Reply(id, method, Describe(e, method));
        }
        finally
        {
            Finish(id, cancel, pooled);
        }
    }

    private void Finish(ulong id, CancellationTokenSource cancel, byte[]? pooled)
    {
        _incoming.TryRemove(id, out _);
        cancel.Dispose();
        if (pooled is not null)
            ArrayPool<byte>.Shared.Return(pooled);
    }

    private void CancelIncoming(ulong id)
    {
        if (_incoming.TryGetValue(id, out var cancel))
        {
            try
            {
                cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private ErrorReply Describe(Exception e, ushort method)
    {
        if (e is SsiException s)
            return new ErrorReply(s.Status, s.Message);
        if (e is OperationCanceledException)
            return new ErrorReply(Status.Cancelled, "the request was cancelled");
        _log.LogError(e, "handler for method 0x{Method:x4} failed serving {Peer}", method, Peer);
        return new ErrorReply(Status.Internal, $"method 0x{method:x4} failed on this node: {e.Message}");
    }

    private void Reply(ulong id, ushort method, ErrorReply error) =>
        SendInBackground(FrameKind.Error, method, id, error.Encode());
}
