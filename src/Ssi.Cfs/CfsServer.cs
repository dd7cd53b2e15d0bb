using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ssi.Cfs.Wire;
using Ssi.Fuse;
using Ssi.Fuse.Passthrough;
using Ssi.Ics;

namespace Ssi.Cfs;

/// <summary>
/// The CFS server: exports a local directory to every node's CFS client. Each request is the FUSE
/// operation a client's kernel asked for, carried out on the export by a <see cref="PassthroughFileSystem"/>
/// with the caller's uid and gid; node ids are the store's, so they are the same on every node.
/// </summary>
/// <remarks>
/// The server remembers, per client node, the nodes its kernel has looked up, its open files and
/// directories, its lock owners and waiting lock requests. That is what it needs to keep caches
/// coherent (a change is pushed as an invalidation to every other node that holds the node) and to
/// clean up after a client node dies (<see cref="NodeDownAsync"/>).
/// </remarks>
public sealed partial class CfsServer : IDisposable
{
    /// <summary>The directory under the export root that holds one directory per node (<c>/cluster/nodes/N</c>).</summary>
    public const string NodesDirectory = "nodes";

    private readonly PassthroughFileSystem _store;
    private readonly Func<int, ReadOnlyMemory<byte>, CancellationToken, Task> _sendInvalidation;
    private readonly ILogger _log;

    /// <summary>Serves <paramref name="export"/> (created if absent).</summary>
    /// <param name="localNode">The server's node number.</param>
    /// <param name="export">The local directory to export.</param>
    /// <param name="sendInvalidation">Delivers a <see cref="CfsMethods.Invalidate"/> message to a client node and completes when the node has applied it.</param>
    /// <param name="logs">Logging.</param>
    public CfsServer(int localNode, string export, Func<int, ReadOnlyMemory<byte>, CancellationToken, Task> sendInvalidation, ILoggerFactory? logs = null)
    {
        Directory.CreateDirectory(Path.Combine(export, NodesDirectory));
        LocalNode = localNode;
        // Cached data is kept across opens: another node's change drops it through an invalidation.
        _store = new PassthroughFileSystem(export, new PassthroughOptions { KeepCache = true });
        _sendInvalidation = sendInvalidation;
        _log = (logs ?? NullLoggerFactory.Instance).CreateLogger("cfs-server");
        ulong instance;
        do
            instance = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        while (instance == 0);
        Instance = instance;
    }

    /// <summary>The server's node number.</summary>
    public int LocalNode { get; }

    /// <summary>The exported directory.</summary>
    public string Export => _store.Root;

    /// <summary>This run of the server; a client that sees another value must forget every node id it holds.</summary>
    public ulong Instance { get; }

    /// <summary>Answers requests from remote client nodes on <paramref name="router"/>.</summary>
    public void Map(Router router)
    {
        router.MapRequest(CfsMethods.Attach, (r, ct) => HandleRequestAsync(r.Peer.Node, r.Method, r.Payload, ct));
        // Operations read their request only until answered (names and data are copied or written by then):
        // write batches of megabytes arrive in a pooled buffer.
        router.MapRequestLendingPayload(CfsMethods.Operation, (r, ct) => HandleRequestAsync(r.Peer.Node, r.Method, r.Payload, ct));
        router.MapRequest(CfsMethods.ServerStatus, (r, ct) => HandleRequestAsync(r.Peer.Node, r.Method, r.Payload, ct));
        router.MapOneWay(CfsMethods.Forget, (peer, method, payload) => HandleOneWay(peer.Node, method, payload));
        router.MapOneWay(CfsMethods.Release, (peer, method, payload) => HandleOneWay(peer.Node, method, payload));
        router.MapOneWay(CfsMethods.Cancel, (peer, method, payload) => HandleOneWay(peer.Node, method, payload));
    }

    /// <summary>
    /// Serves one request from node <paramref name="peer"/> (as ICS identified it; 0 for a connection made
    /// before the node had its number, in which case the number the client states is used).
    /// </summary>
    public ValueTask<ReadOnlyMemory<byte>> HandleRequestAsync(int peer, ushort method, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        switch (method)
        {
            case CfsMethods.Attach:
                return AttachClientAsync(payload.Length >= 4 ? ClientOf(peer, (int)new CfsReader(payload).U32()) : peer);
            case CfsMethods.ServerStatus:
                return new(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(GetStatus(), CfsJson.Default.CfsServerStatus));
            case CfsMethods.Operation:
                return OperateSafelyAsync(peer, payload, ct);
            default:
                return new(Reply(Errno.ENOSYS));
        }
    }

    /// <summary>Handles a one-way message (forget, release, cancel) from node <paramref name="peer"/>.</summary>
    public void HandleOneWay(int peer, ushort method, ReadOnlyMemory<byte> payload)
    {
        try
        {
            var r = new CfsReader(payload);
            if (method == CfsMethods.Forget)
            {
                ulong instance = r.U64();
                int client = ClientOf(peer, (int)r.U32());
                if (instance != Instance)
                    return;
                while (r.Remaining >= 16)
                    ForgetFor(client, r.U64(), r.U64());
            }
            else if (method == CfsMethods.Release)
            {
                ReleaseBatch(peer, r);
            }
            else if (method == CfsMethods.Cancel)
            {
                int client = ClientOf(peer, (int)r.U32());
                CancelWait(client, r.U64());
            }
        }
        catch (InvalidDataException e)
        {
            _log.LogWarning("malformed CFS message from node {Node}: {Reason}", peer, e.Message);
        }
    }

    private async ValueTask<ReadOnlyMemory<byte>> OperateSafelyAsync(int peer, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        try
        {
            return await OperateAsync(peer, payload, ct).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            _log.LogWarning("malformed CFS request from node {Node}: {Reason}", peer, e.Message);
            return Reply(Errno.EPROTO);
        }
    }

    /// <summary>The client node: the number ICS authenticated, or the one the (authenticated) client states on a connection made before it was numbered.</summary>
    private static int ClientOf(int peer, int stated) => stated > 0 ? stated : peer;

    /// <summary>Closes the store (every backing descriptor).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var state in _clients.Values)
                state.Gone.Cancel();
        }
        _store.Dispose();
    }

    private static ReadOnlyMemory<byte> Reply(Errno error) => new CfsWriter(4).I32(error.Value).ToArray();

    private static ReadOnlyMemory<byte> Reply<T>(FuseResult<T> result, Action<CfsWriter, T> body)
    {
        var w = new CfsWriter();
        w.I32(result.Error.Value);
        if (result.IsOk)
            body(w, result.Value);
        return w.Written;
    }
}
