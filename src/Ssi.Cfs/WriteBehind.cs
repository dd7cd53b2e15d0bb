using System.Collections.Concurrent;
using Ssi.Fuse;

namespace Ssi.Cfs;

/// <summary>
/// A client's writes that have returned to their caller but may not have reached the server yet.
/// The server grants write-behind for a file only while no other node holds it (docs/cfs-consistency.md)
/// and revokes the grant before another node gets to the file; a revoke, and every other operation of
/// this client, first waits for the writes started before it.
/// </summary>
internal sealed class WriteBehind
{
    /// <summary>Writes (of any size, up to 1 MiB each) in flight at once; the next one waits for a slot.</summary>
    public const int Slots = 32;

    private readonly Lock _gate = new();
    private readonly HashSet<ulong> _granted = [];
    private readonly Dictionary<long, Task> _inflight = [];
    private readonly ConcurrentDictionary<ulong, Errno> _failed = new();
    private readonly SemaphoreSlim _slots = new(Slots, Slots);
    private long _next;

    /// <summary>True while no write is in flight (checked without locking on every operation).</summary>
    public bool IsIdle => Volatile.Read(ref _count) == 0;

    private int _count;

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
            _granted.Remove(node);
        return DrainAsync();
    }

    /// <summary>Every grant is void (the server instance is gone).</summary>
    public void RevokeAll()
    {
        lock (_gate)
            _granted.Clear();
    }

    /// <summary>Waits for a slot; then, if <paramref name="node"/> has the grant, starts <paramref name="send"/> in the background and returns true.</summary>
    public async ValueTask<bool> TryStartAsync(ulong node, Func<ValueTask<Errno>> send)
    {
        if (!IsGranted(node))
            return false;
        await _slots.WaitAsync().ConfigureAwait(false);
        long ticket;
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            // Checked again under the lock a revoke takes: a write either is in the revoke's drain or is sent and waited for.
            if (!_granted.Contains(node))
            {
                _slots.Release();
                return false;
            }
            ticket = ++_next;
            _inflight[ticket] = sent.Task;
            Interlocked.Increment(ref _count);
        }
        _ = CompleteAsync(node, ticket, send, sent);
        return true;
    }

    private bool IsGranted(ulong node)
    {
        lock (_gate)
            return _granted.Contains(node);
    }

    private async Task CompleteAsync(ulong node, long ticket, Func<ValueTask<Errno>> send, TaskCompletionSource sent)
    {
        Errno error;
        try
        {
            error = await send().ConfigureAwait(false);
        }
        catch (Exception)
        {
            error = Errno.EIO;
        }
        if (!error.IsOk)
            _failed.TryAdd(node, error);
        lock (_gate)
        {
            _inflight.Remove(ticket);
            Interlocked.Decrement(ref _count);
        }
        _slots.Release();
        sent.TrySetResult();
    }

    /// <summary>Completes when every write started before this call has been answered by the server.</summary>
    public Task DrainAsync()
    {
        if (IsIdle)
            return Task.CompletedTask;
        lock (_gate)
            return _inflight.Count == 0 ? Task.CompletedTask : Task.WhenAll(_inflight.Values.ToArray());
    }

    /// <summary>The first error a write-behind write to <paramref name="node"/> met since the last call (reported at close or fsync, as NFS does).</summary>
    public Errno TakeError(ulong node) => _failed.TryRemove(node, out var error) ? error : Errno.Ok;
}
