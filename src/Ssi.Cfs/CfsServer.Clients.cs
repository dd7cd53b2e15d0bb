using Microsoft.Extensions.Logging;
using Ssi.Cfs.Wire;
using Ssi.Fuse;

namespace Ssi.Cfs;

/// <summary>Per-client-node state: lookups, open files and directories, lock owners, waiting lock requests; the nodedown handler.</summary>
public sealed partial class CfsServer
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, ClientState> _clients = [];
    // node id → client nodes whose kernel holds it (has looked it up and not forgotten it): who may cache what.
    private readonly Dictionary<ulong, HashSet<int>> _holders = [];
    private long _nextOwner;

    private sealed class ClientState(int node)
    {
        public int Node { get; } = node;
        public Dictionary<ulong, ulong> Lookups { get; } = [];
        public HashSet<(ulong Node, ulong Handle)> Files { get; } = [];
        public HashSet<(ulong Node, ulong Handle)> Directories { get; } = [];
        public Dictionary<ulong, ulong> Owners { get; } = [];
        public HashSet<(ulong Node, ulong Owner)> Locked { get; } = [];
        // Owners that locked through an open file: released with it, as the kernel does for OFD locks
        // (FUSE sends no unlock for those when the last descriptor closes).
        public Dictionary<(ulong Node, ulong Handle), HashSet<ulong>> LockedThrough { get; } = [];
        public Dictionary<ulong, CancellationTokenSource> Waits { get; } = [];
        public CancellationTokenSource Gone { get; } = new();
    }

    private ClientState ClientLocked(int node)
    {
        if (!_clients.TryGetValue(node, out var state))
        {
            state = new ClientState(node);
            _clients[node] = state;
            Holders(RootNode).Add(node);
        }
        return state;
    }

    private HashSet<int> Holders(ulong node)
    {
        if (!_holders.TryGetValue(node, out var set))
        {
            set = [];
            _holders[node] = set;
        }
        return set;
    }

    /// <summary>
    /// A client attaches before each mount: a new kernel connection that holds nothing yet. What the server
    /// still holds for that node belongs to its previous mount (a daemon that restarted before anyone
    /// saw it down) and is released as if the node had died.
    /// </summary>
    private async ValueTask<ReadOnlyMemory<byte>> AttachClientAsync(int client)
    {
        await NodeDownAsync(client).ConfigureAwait(false);
        lock (_gate)
            ClientLocked(client);
        if (client > 0)
        {
            try
            {
                Directory.CreateDirectory(Path.Combine(Export, NodesDirectory, client.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            catch (IOException e)
            {
                _log.LogWarning("cannot create the node directory of node {Node}: {Reason}", client, e.Message);
            }
        }
        _log.LogInformation("node {Node} attached to CFS instance {Instance:x16}", client, Instance);
        return new CfsWriter(12).I32(0).U64(Instance).ToArray();
    }

    /// <summary>
    /// One more lookup of <paramref name="node"/> by <paramref name="client"/>'s kernel. Returns the other
    /// node that has write-behind on it (0 if none): the grant ends, and the caller revokes it.
    /// </summary>
    private int Counted(int client, ulong node)
    {
        if (node == 0)
            return 0;
        lock (_gate)
        {
            var state = ClientLocked(client);
            state.Lookups[node] = state.Lookups.GetValueOrDefault(node) + 1;
            Holders(node).Add(client);
            if (!_writeBehind.TryGetValue(node, out int writer) || writer == client)
                return 0;
            _writeBehind.Remove(node);
            return writer;
        }
    }

    private void ForgetFor(int client, ulong node, ulong count)
    {
        ulong forwarded;
        lock (_gate)
        {
            if (!_clients.TryGetValue(client, out var state) || !state.Lookups.TryGetValue(node, out ulong held))
                return;
            forwarded = Math.Min(held, count);
            if (held > count)
            {
                state.Lookups[node] = held - count;
            }
            else
            {
                state.Lookups.Remove(node);
                DropWriteBehindLocked(client, node);
                if (_holders.TryGetValue(node, out var set) && set.Remove(client) && set.Count == 0)
                    _holders.Remove(node);
            }
        }
        _store.Forget(node, forwarded);
    }

    private ulong MapOwner(int client, ulong owner)
    {
        if (owner == 0)
            return 0;
        lock (_gate)
        {
            var state = ClientLocked(client);
            if (!state.Owners.TryGetValue(owner, out ulong mapped))
            {
                mapped = (ulong)Interlocked.Increment(ref _nextOwner);
                state.Owners[owner] = mapped;
            }
            return mapped;
        }
    }

    private void Track(int client, Action<ClientState> change)
    {
        lock (_gate)
            change(ClientLocked(client));
    }

    private CancellationTokenSource BeginWait(int client, ulong request, CancellationToken ct)
    {
        lock (_gate)
        {
            var state = ClientLocked(client);
            var wait = CancellationTokenSource.CreateLinkedTokenSource(ct, state.Gone.Token);
            state.Waits[request] = wait;
            return wait;
        }
    }

    private void EndWait(int client, ulong request, CancellationTokenSource wait)
    {
        lock (_gate)
        {
            if (_clients.TryGetValue(client, out var state) && state.Waits.TryGetValue(request, out var current) && current == wait)
                state.Waits.Remove(request);
        }
        wait.Dispose();
    }

    private void CancelWait(int client, ulong request)
    {
        CancellationTokenSource? wait;
        lock (_gate)
            wait = _clients.TryGetValue(client, out var state) ? state.Waits.GetValueOrDefault(request) : null;
        try
        {
            wait?.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// The nodedown handler: client node <paramref name="node"/> is dead, so its waiting lock requests end,
    /// its record and flock locks are released, its open files and directories are closed and its
    /// lookups are forgotten. Files unlinked while it had them open go away now.
    /// </summary>
    public async Task NodeDownAsync(int node)
    {
        ClientState? state;
        lock (_gate)
        {
            if (!_clients.Remove(node, out state))
                return;
            DropWriteBehindLocked(node);
            foreach (ulong held in state.Lookups.Keys.Append(RootNode))
            {
                if (_holders.TryGetValue(held, out var set) && set.Remove(node) && set.Count == 0)
                    _holders.Remove(held);
            }
        }
        state.Gone.Cancel();
        var context = new FuseRequestContext(0, 0, 0, 0, CancellationToken.None);
        foreach (var (file, owner) in state.Locked)
            await _store.FlushAsync(context, file, 0, owner).ConfigureAwait(false);
        foreach (var (file, handle) in state.Files)
            await _store.ReleaseAsync(context, file, handle, 0, 2, 0).ConfigureAwait(false);
        foreach (var (dir, handle) in state.Directories)
            await _store.ReleaseDirectoryAsync(context, dir, handle).ConfigureAwait(false);
        foreach (var (file, count) in state.Lookups)
            _store.Forget(file, count);
        _log.LogInformation("node {Node} is down: released {Locks} lock owners, {Files} open files, {Directories} directories, {Nodes} nodes",
            node, state.Locked.Count, state.Files.Count, state.Directories.Count, state.Lookups.Count);
    }

    /// <summary>What the server holds for each client node.</summary>
    public CfsServerStatus GetStatus()
    {
        lock (_gate)
        {
            var clients = _clients.Values.OrderBy(c => c.Node)
                .Select(c => new CfsClientStatus(c.Node, c.Lookups.Count, c.Files.Count, c.Directories.Count, c.Locked.Count, c.Waits.Count))
                .ToList();
            return new CfsServerStatus(LocalNode, Export, Instance.ToString("x16", System.Globalization.CultureInfo.InvariantCulture), clients);
        }
    }
}
