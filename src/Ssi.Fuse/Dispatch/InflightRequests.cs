using System.Collections.Concurrent;

namespace Ssi.Fuse.Dispatch;

/// <summary>
/// Requests being served, by unique id, each with a cancellation source that FUSE_INTERRUPT fires.
/// Sources are pooled: a request that was not interrupted hands its source back for reuse.
/// </summary>
internal sealed class InflightRequests
{
    private readonly ConcurrentDictionary<ulong, CancellationTokenSource> _byUnique = new();
    private readonly ConcurrentQueue<CancellationTokenSource> _pool = new();
    private volatile bool _shutdown;

    public int Count => _byUnique.Count;

    public CancellationToken Register(ulong unique)
    {
        if (!_pool.TryDequeue(out var source))
            source = new CancellationTokenSource();
        _byUnique[unique] = source;
        if (_shutdown)
            source.Cancel();
        return source.Token;
    }

    public void Complete(ulong unique)
    {
        if (!_byUnique.TryRemove(unique, out var source))
            return;
        // A cancelled source is dropped, not disposed: Complete can run inside its own Cancel() callbacks.
        lock (source)
        {
            if (source.TryReset())
                _pool.Enqueue(source);
        }
    }

    /// <summary>Cancels the request; false when it is not (or no longer, or not yet) being served.</summary>
    public bool Interrupt(ulong unique)
    {
        if (!_byUnique.TryGetValue(unique, out var source))
            return false;
        lock (source)
        {
            // The source may have been completed and reused meanwhile: cancel only if it still belongs to this request.
            if (!_byUnique.TryGetValue(unique, out var current) || !ReferenceEquals(current, source))
                return false;
            source.Cancel();
            return true;
        }
    }

    public void CancelAll()
    {
        _shutdown = true;
        foreach (var pair in _byUnique)
            Interrupt(pair.Key);
    }
}
