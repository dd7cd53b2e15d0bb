using Microsoft.Extensions.Logging;
using Ssi.Cfs.Wire;
using Ssi.Fuse;

namespace Ssi.Cfs;

/// <summary>
/// Write-behind grants: a remote client that is the only node holding a file may answer its writes before
/// they reach the server (one network round trip less per write(2)). Before another node gets the file
/// (a lookup, create or link that hands it out), the grant is revoked and the server waits until the
/// writer's earlier writes have arrived. See docs/cfs-consistency.md.
/// </summary>
public sealed partial class CfsServer
{
    private const int AccessModeMask = 3, ReadOnlyAccess = 0;

    // node id → the client node that may have writes to it in flight.
    private readonly Dictionary<ulong, int> _writeBehind = [];
    private long _revocations;

    /// <summary>Write-behind grants revoked because another node reached the file.</summary>
    public long Revocations => Interlocked.Read(ref _revocations);

    /// <summary>Grants write-behind on <paramref name="node"/> to <paramref name="client"/> if it opened it for writing and no other node holds it.</summary>
    private bool TryGrantWriteBehind(int client, ulong node, int flags)
    {
        if (client == LocalNode || (flags & AccessModeMask) == ReadOnlyAccess)
            return false;
        lock (_gate)
        {
            if (_writeBehind.TryGetValue(node, out int writer))
                return writer == client;
            if (_holders.TryGetValue(node, out var holders) && holders.Any(h => h != client))
                return false;
            _writeBehind[node] = client;
            return true;
        }
    }

    /// <summary>
    /// One more lookup of <paramref name="node"/> by <paramref name="client"/>; if another node has write-behind
    /// on it, that ends first. Returns true when it did (attributes read before are stale).
    /// </summary>
    private async ValueTask<bool> HoldAsync(int client, ulong node)
    {
        int writer = Counted(client, node);
        if (writer == 0)
            return false;
        await RevokeWriteBehindAsync(writer, node).ConfigureAwait(false);
        return true;
    }

    private async ValueTask RevokeWriteBehindAsync(int writer, ulong node)
    {
        Interlocked.Increment(ref _revocations);
        var message = new CfsWriter(24).U64(Instance).U8((byte)InvalidationKind.Revoke).U64(node);
        try
        {
            // No bound but the dead-node one: the writer needs no kernel lock to send what it holds.
            using var timeout = new CancellationTokenSource(InvalidationTimeout);
            await _sendInvalidation(writer, message.Written, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _invalidationsLate);
            _log.LogDebug("write-behind on node {Node} not revoked in time at node {Writer}: {Reason}", node, writer, e.Message);
        }
    }

    /// <summary>
    /// A writer's batch of write-behind writes, applied in order; the answer has each one's byte count or
    /// -errno. Any other holder (a revoke in progress) is invalidated as after a single write.
    /// </summary>
    private async ValueTask<ReadOnlyMemory<byte>> WriteBatchAsync(int client, FuseRequestContext context, CfsReader r)
    {
        int count = (int)Math.Min(r.U32(), (uint)(r.Remaining / 32));
        var reply = new CfsWriter(4 + 4 * count).I32(0);
        var written = new HashSet<ulong>();
        for (int i = 0; i < count; i++)
        {
            ulong node = r.U64(), handle = r.U64();
            long offset = r.I64();
            uint flags = r.U32();
            var data = r.Bytes();
            var result = await _store.WriteAsync(context, node, handle, offset, data, flags).ConfigureAwait(false);
            reply.I32(result.IsOk ? result.Value : -result.Error.Value);
            if (result.IsOk)
                written.Add(node);
        }
        foreach (ulong node in written)
            await PushAsync(client, StaleInode(node)).ConfigureAwait(false);
        return reply.Written;
    }

    /// <summary>Lookup-style replies after a revoke: the attributes as they are now that the writer's data has arrived.</summary>
    private async ValueTask<FuseEntry> RefreshedAsync(FuseEntry entry)
    {
        var context = new FuseRequestContext(0, 0, 0, 0, CancellationToken.None);
        var now = await _store.GetAttributesAsync(context, entry.NodeId, null).ConfigureAwait(false);
        if (now.IsOk)
            entry.Attributes = now.Value.Attributes;
        return entry;
    }

    // Callers hold _gate.
    private void DropWriteBehindLocked(int client, ulong node)
    {
        if (_writeBehind.TryGetValue(node, out int writer) && writer == client)
            _writeBehind.Remove(node);
    }

    private void DropWriteBehindLocked(int client)
    {
        foreach (var (node, writer) in _writeBehind.ToList())
        {
            if (writer == client)
                _writeBehind.Remove(node);
        }
    }
}
