using Microsoft.Extensions.Logging;
using Ssi.Cfs.Wire;
using Ssi.Fuse;

namespace Ssi.Cfs;

/// <summary>
/// Server-driven coherence: after a change, every other client node whose kernel holds an affected
/// node is told to drop it, and the change is answered once they have (or after
/// <see cref="InvalidationWait"/>, whichever comes first; see docs/cfs-consistency.md).
/// </summary>
public sealed partial class CfsServer
{
    /// <summary>The root directory's node id (held by every attached client).</summary>
    public const ulong RootNode = 1;

    /// <summary>What a change made stale: a node's attributes and data, or a name in a directory.</summary>
    private readonly record struct Stale(InvalidationKind Kind, ulong Node, ReadOnlyMemory<byte> Name);

    private static Stale StaleInode(ulong node) => new(InvalidationKind.Inode, node, default);

    private static Stale StaleEntry(ulong parent, FileName name) => new(InvalidationKind.Entry, parent, name.Bytes.ToArray());

    /// <summary>
    /// How long a change waits for a node that is itself waiting for invalidations to be applied: two nodes
    /// changing the same file or directory at once can each hold the kernel lock the other's invalidation
    /// needs while they wait for the server, and this bound is what breaks that cycle.
    /// </summary>
    public static readonly TimeSpan InvalidationWait = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a change waits for any node to apply its invalidation (a node that died and is not yet declared DOWN).</summary>
    public static readonly TimeSpan InvalidationTimeout = TimeSpan.FromSeconds(5);

    // Client node → its requests now waiting in PushAsync (the cycle condition above).
    private readonly Dictionary<int, int> _pushing = [];

    /// <summary>
    /// Invalidates <paramref name="stale"/> on every holder but <paramref name="origin"/> (whose kernel already
    /// knows) and waits until they have applied it: without bound but <see cref="InvalidationTimeout"/>, except
    /// for a holder that is itself waiting here, which gets <see cref="InvalidationWait"/>.
    /// </summary>
    private async ValueTask PushAsync(int origin, params Stale[] stale)
    {
        Dictionary<int, CfsWriter>? messages = null;
        lock (_gate)
        {
            foreach (var item in stale)
            {
                if (item.Node == 0 || !_holders.TryGetValue(item.Node, out var holders))
                    continue;
                foreach (int client in holders)
                {
                    if (client == origin)
                        continue;
                    messages ??= [];
                    if (!messages.TryGetValue(client, out var w))
                    {
                        w = new CfsWriter(64).U64(Instance);
                        messages[client] = w;
                    }
                    w.U8((byte)item.Kind).U64(item.Node);
                    if (item.Kind == InvalidationKind.Entry)
                        w.Bytes(item.Name.Span);
                }
            }
        }
        if (messages is null)
            return;
        lock (_gate)
            _pushing[origin] = _pushing.GetValueOrDefault(origin) + 1;
        try
        {
            using var timeout = new CancellationTokenSource(InvalidationTimeout);
            var sends = new List<Task>(messages.Count);
            foreach (var (client, message) in messages)
                sends.Add(SendInvalidationAsync(client, message.Written, timeout.Token));
            await Task.WhenAll(sends).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                if (--_pushing[origin] == 0)
                    _pushing.Remove(origin);
            }
        }
    }

    private bool IsPushing(int client)
    {
        lock (_gate)
            return _pushing.ContainsKey(client);
    }

    private async Task SendInvalidationAsync(int client, ReadOnlyMemory<byte> message, CancellationToken timeout)
    {
        Interlocked.Increment(ref _invalidationsSent);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var applied = _sendInvalidation(client, message, timeout);
            while (!applied.IsCompleted)
            {
                await Task.WhenAny(applied, Task.Delay(10, timeout)).ConfigureAwait(false);
                if (applied.IsCompleted)
                    break;
                timeout.ThrowIfCancellationRequested();
                if (System.Diagnostics.Stopwatch.GetElapsedTime(started) > InvalidationWait && IsPushing(client))
                    throw new TimeoutException($"node {client} is itself waiting for invalidations");
            }
            await applied.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _invalidationsLate);
            _log.LogDebug("invalidation to node {Node} not confirmed in time: {Reason}", client, e.Message);
        }
    }

    private long _invalidationsSent;
    private long _invalidationsLate;

    /// <summary>Invalidation messages sent so far.</summary>
    public long InvalidationsSent => Interlocked.Read(ref _invalidationsSent);

    /// <summary>Invalidations not confirmed within <see cref="InvalidationWait"/> (the change was answered before the node applied them).</summary>
    public long InvalidationsLate => Interlocked.Read(ref _invalidationsLate);
}
