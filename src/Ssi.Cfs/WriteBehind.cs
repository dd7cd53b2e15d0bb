using System.Buffers;
using System.Collections.Concurrent;
using Ssi.Fuse;

namespace Ssi.Cfs;

/// <summary>
/// A client's writes that have returned to their caller but may not have reached the server yet.
/// The server grants write-behind for a file only while no other node holds it (docs/cfs-consistency.md)
/// and revokes the grant before another node gets to the file; a revoke, and every other operation of
/// this client, first waits for the writes queued before it.
/// </summary>
/// <remarks>
/// One sender sends what has queued up as one batch, waits for the server's answer, then sends the next:
/// batches complete in the order they were queued, and a busy writer costs the server one message per
/// batch instead of one per write(2).
/// </remarks>
internal sealed class WriteBehind(Func<IReadOnlyList<QueuedWrite>, ValueTask<Errno[]>> sendBatch)
{
    /// <summary>Bytes queued or in flight at most; a write beyond waits until a batch has been answered.</summary>
    public const int MaxQueuedBytes = 8 << 20;

    /// <summary>Bytes of write data in one batch at most (a batch is one ICS request).</summary>
    public const int MaxBatchBytes = 2 << 20;

    private readonly Lock _gate = new();
    private readonly HashSet<ulong> _granted = [];
    private readonly List<QueuedWrite> _queue = [];
    private readonly List<(long Ticket, TaskCompletionSource Done)> _drains = [];
    private readonly ConcurrentDictionary<ulong, Errno> _failed = new();
    private readonly SemaphoreSlim _room = new(0);
    // Attributes of granted files as the server last gave them, grown by the writes queued since: while this
    // node alone holds a file, nobody else changes it, so a stat needs no round trip (and no drain).
    private readonly Dictionary<ulong, (InodeAttributes Attributes, long End, TimeSpec Modified)> _attributes = [];
    // Granted files known to have no security.capability attribute: the kernel asks before every write(2).
    private readonly HashSet<ulong> _withoutCapability = [];
    private long _queuedBytes;
    private long _issued, _completed;
    private bool _sending;

    /// <summary>True while nothing is queued or in flight (checked without locking on every operation).</summary>
    public bool IsIdle => Interlocked.Read(ref _completed) == Interlocked.Read(ref _issued);

    /// <summary>The server granted write-behind for <paramref name="node"/>.</summary>
    public void Grant(ulong node)
    {
        lock (_gate)
            _granted.Add(node);
    }

    /// <summary>Writes to <paramref name="node"/> are sent and waited for again; completes when the earlier ones have reached the server.</summary>
    public Task RevokeAsync(ulong node)
    {
        lock (_gate)
        {
            _granted.Remove(node);
            _attributes.Remove(node);
            _withoutCapability.Remove(node);
        }
        return DrainAsync();
    }

    /// <summary>Every grant is void (the server instance is gone).</summary>
    public void RevokeAll()
    {
        lock (_gate)
        {
            _granted.Clear();
            _attributes.Clear();
            _withoutCapability.Clear();
        }
    }

    /// <summary>The server's attributes of <paramref name="node"/>, answered after this node's earlier writes.</summary>
    public void Remember(ulong node, in InodeAttributes attributes)
    {
        lock (_gate)
        {
            if (_granted.Contains(node))
                _attributes[node] = (attributes, 0, default);
        }
    }

    /// <summary>Another operation of this node may change attributes (size, links, times): ask the server again.</summary>
    public void ForgetAttributes()
    {
        lock (_gate)
        {
            _attributes.Clear();
            _withoutCapability.Clear();
        }
    }

    /// <summary>The server said <paramref name="node"/> has no security.capability attribute.</summary>
    public void RememberNoCapability(ulong node)
    {
        lock (_gate)
        {
            if (_granted.Contains(node))
                _withoutCapability.Add(node);
        }
    }

    /// <summary>True if <paramref name="node"/> is granted and known to have no security.capability attribute.</summary>
    public bool KnowsNoCapability(ulong node)
    {
        lock (_gate)
            return _granted.Contains(node) && _withoutCapability.Contains(node);
    }

    /// <summary>The attributes of a granted file with this node's queued writes applied, if the server gave them since the grant.</summary>
    public bool TryGetAttributes(ulong node, out InodeAttributes attributes)
    {
        lock (_gate)
        {
            if (!_granted.Contains(node) || !_attributes.TryGetValue(node, out var known))
            {
                attributes = default;
                return false;
            }
            attributes = known.Attributes;
            if ((ulong)known.End > attributes.Size)
            {
                attributes.Size = (ulong)known.End;
                attributes.Blocks = Math.Max(attributes.Blocks, (attributes.Size + 511) / 512);
            }
            if (known.End > 0)
                attributes.ModificationTime = attributes.ChangeTime = known.Modified;
            return true;
        }
    }

    /// <summary>If <paramref name="node"/> has the grant, queues a copy of the write and returns true.</summary>
    public async ValueTask<bool> TryQueueAsync(ulong node, ulong handle, long offset, uint flags, ReadOnlyMemory<byte> data)
    {
        while (true)
        {
            bool start, queued;
            lock (_gate)
            {
                // Decided under the lock a revoke takes: a write is either in the revoke's drain or sent and waited for.
                if (!_granted.Contains(node))
                    return false;
                queued = _queuedBytes == 0 || _queuedBytes + data.Length <= MaxQueuedBytes;
                if (queued)
                {
                    byte[] copy = ArrayPool<byte>.Shared.Rent(data.Length);
                    data.Span.CopyTo(copy);
                    _queue.Add(new QueuedWrite(node, handle, offset, flags, copy, data.Length));
                    _queuedBytes += data.Length;
                    if (_attributes.TryGetValue(node, out var known))
                        _attributes[node] = (known.Attributes, Math.Max(known.End, offset + data.Length), TimeSpec.Now);
                    Interlocked.Increment(ref _issued);
                    start = !_sending;
                    _sending = true;
                }
                else
                {
                    start = false;
                }
            }
            if (start)
                _ = SendAsync();
            if (queued)
                return true;
            await _room.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Batches sent before the oldest is answered: the server applies one while the next is on its way. They
    /// leave in order on one connection, whose requests the server serves in order, and are completed in order.
    /// </summary>
    public const int BatchesInFlight = 2;

    // Started by the write that found the queue idle (on its thread: no hop); continued by each batch's answer.
    private async Task SendAsync()
    {
        var inFlight = new Queue<(List<QueuedWrite> Batch, Task<Errno[]> Results)>(BatchesInFlight);
        while (true)
        {
            while (inFlight.Count < BatchesInFlight && TakeBatch(inFlight.Count == 0) is { } next)
                inFlight.Enqueue((next, SendBatchAsync(next)));
            if (inFlight.Count == 0)
                return;
            var (batch, pending) = inFlight.Dequeue();
            var results = await pending.ConfigureAwait(false);
            long freed = 0;
            for (int i = 0; i < batch.Count; i++)
            {
                var error = i < results.Length ? results[i] : Errno.EIO;
                if (!error.IsOk)
                    _failed.TryAdd(batch[i].Node, error);
                freed += batch[i].Length;
                ArrayPool<byte>.Shared.Return(batch[i].Data);
            }
            Completed(batch.Count, freed);
        }
    }

    /// <summary>The next batch from the queue; null if it is empty, and then, if <paramref name="idle"/>, sending stops.</summary>
    private List<QueuedWrite>? TakeBatch(bool idle)
    {
        lock (_gate)
        {
            if (_queue.Count == 0)
            {
                if (idle)
                    _sending = false;
                return null;
            }
            int bytes = 0, count = 0;
            while (count < _queue.Count && (count == 0 || bytes + _queue[count].Length <= MaxBatchBytes))
                bytes += _queue[count++].Length;
            var batch = _queue.GetRange(0, count);
            _queue.RemoveRange(0, count);
            return batch;
        }
    }

    private async Task<Errno[]> SendBatchAsync(List<QueuedWrite> batch)
    {
        try
        {
            return await sendBatch(batch).ConfigureAwait(false);
        }
        catch (Exception)
        {
            return [];
        }
    }

    private void Completed(int count, long freed)
    {
        List<TaskCompletionSource>? done = null;
        int waiting;
        lock (_gate)
        {
            _queuedBytes -= freed;
            long completed = Interlocked.Add(ref _completed, count);
            for (int i = _drains.Count - 1; i >= 0; i--)
            {
                if (_drains[i].Ticket <= completed)
                {
                    (done ??= []).Add(_drains[i].Done);
                    _drains.RemoveAt(i);
                }
            }
            waiting = _room.CurrentCount == 0 ? 1 : 0;
        }
        if (waiting > 0)
            _room.Release();
        foreach (var drained in done ?? [])
            drained.TrySetResult();
    }

    /// <summary>Completes when every write queued before this call has been answered by the server.</summary>
    public Task DrainAsync()
    {
        lock (_gate)
        {
            long target = Interlocked.Read(ref _issued);
            if (Interlocked.Read(ref _completed) >= target)
                return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _drains.Add((target, done));
            return done.Task;
        }
    }

    /// <summary>The first error a write-behind write to <paramref name="node"/> met since the last call (reported at close or fsync, as NFS does).</summary>
    public Errno TakeError(ulong node) => _failed.TryRemove(node, out var error) ? error : Errno.Ok;
}

/// <summary>A write answered to its caller and waiting in <see cref="WriteBehind"/>; <see cref="Data"/> is pooled, <see cref="Length"/> bytes long.</summary>
internal readonly record struct QueuedWrite(ulong Node, ulong Handle, long Offset, uint Flags, byte[] Data, int Length);
