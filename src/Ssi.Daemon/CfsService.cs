using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ssi.Cfs;
using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Daemon;

/// <summary>
/// The cluster filesystem on this node: the CFS server when this node exports the tree, the
/// <c>/cluster</c> mount on every node, and the nodedown handler (a dead client's locks and open
/// files are released; a dead server makes the mount fail fast until it returns).
/// </summary>
internal sealed class CfsService(NodeDaemon daemon) : IAsyncDisposable
{
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(2);
    private readonly ILogger _log = daemon.Logs.CreateLogger("cfs");
    private CfsServer? _server;
    private readonly CancellationTokenSource _stopping = new();
    private volatile CfsMount? _mount;
    private Task? _mounting;
    private IDisposable? _events;

    /// <summary>Creates the server (if this node exports) and maps the CFS methods; call before ICS starts.</summary>
    public void Map(Router router)
    {
        router.MapRequest(CfsMethods.Invalidate, async (request, _) =>
        {
            if (_mount is { } mount)
                await mount.ApplyAsync(request.Payload).ConfigureAwait(false);
            return ReadOnlyMemory<byte>.Empty;
        });
        router.MapRequest(CfsMethods.NodeStatus, (_, _) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>>(JsonSerializer.SerializeToUtf8Bytes(NodeStatus(), CfsJson.Default.CfsNodeStatus)));
        router.MapRequest(CfsMethods.Status, StatusAsync);
        if (daemon.Config.CfsExport is { Length: > 0 } export)
        {
            _server = new CfsServer(daemon.Config.CfsServer, export, SendInvalidationAsync, daemon.Logs);
            _server.Map(router);
        }
    }

    /// <summary>Mounts the tree (in the background: the server may not be up yet) and subscribes to node events; call once membership runs.</summary>
    public void Start()
    {
        _events = daemon.Membership.Subscribe(OnNodeEventAsync);
        if (daemon.Config.CfsMount is { Length: > 0 } mountPoint)
        {
            _mounting = Task.Run(async () =>
            {
                try
                {
                    await MountAsync(mountPoint, _stopping.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _log.LogError(e, "cannot mount the cluster filesystem at {Mount}", mountPoint);
                }
            });
        }
    }

    // The exporting node mounts through the server object under its configured number; another node
    // waits for its number (a restarting node may still be rejoining) and goes over ICS.
    private async Task MountAsync(string mountPoint, CancellationToken ct)
    {
        int local = _server is not null ? daemon.Config.CfsServer : daemon.Membership.LocalNode;
        while (local == 0)
        {
            await Task.Delay(100, ct).ConfigureAwait(false);
            local = daemon.Membership.LocalNode;
        }
        if (_server is not null && daemon.Membership.LocalNode is var member && member != 0 && member != local)
            _log.LogWarning("this node exports {Export} as CFS server node {Server} but is node {Node}", _server.Export, local, member);
        ICfsServerLink link = _server is not null ? new LocalServerLink(_server, local) : new IcsServerLink(daemon.Ics, daemon.Config.CfsServer);
        var mount = new CfsMount(link, local, mountPoint, new CfsClientOptions(), daemon.Logs);
        mount.Start();
        _mount = mount;
    }

    private async ValueTask OnNodeEventAsync(NodeEvent e, CancellationToken ct)
    {
        if (e.To == NodeState.Down)
        {
            if (e.Node == daemon.Config.CfsServer)
                _mount?.ServerDown();
            if (_server is not null)
                await _server.NodeDownAsync(e.Node).ConfigureAwait(false);
        }
        else if (e.To == NodeState.Up && e.Node == daemon.Config.CfsServer)
        {
            _mount?.ServerUp();
        }
    }

    private Task SendInvalidationAsync(int node, ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        if (node == daemon.Config.CfsServer)
            return _mount?.ApplyAsync(message) ?? Task.CompletedTask;
        return daemon.Ics.RequestAsync(node, CfsMethods.Invalidate, message, CfsServer.InvalidationTimeout, ct);
    }

    private CfsNodeStatus NodeStatus()
    {
        var client = _mount?.Client;
        return new CfsNodeStatus(daemon.Membership.LocalNode, _mount?.MountPoint ?? "", _mount?.State ?? "disabled",
            daemon.Config.CfsServer, client?.Requests ?? 0, client?.Invalidations ?? 0, _mount?.Mounts ?? 0, _mount?.LastError);
    }

    private async ValueTask<ReadOnlyMemory<byte>> StatusAsync(IncomingRequest request, CancellationToken ct)
    {
        var rows = new List<CfsNodeStatus>();
        var unreachable = new List<string>();
        var up = daemon.Membership.GetNodes().Where(n => n.State == NodeState.Up).Select(n => n.Number).ToList();
        var answers = await Task.WhenAll(up.Select(async n =>
        {
            if (n == daemon.Membership.LocalNode)
                return (Node: n, Status: NodeStatus(), Error: (string?)null);
            try
            {
                var reply = await daemon.Ics.RequestAsync(n, CfsMethods.NodeStatus, ReadOnlyMemory<byte>.Empty, StatusTimeout, ct).ConfigureAwait(false);
                return (Node: n, Status: JsonSerializer.Deserialize(reply, CfsJson.Default.CfsNodeStatus), Error: null);
            }
            catch (SsiException e)
            {
                return (Node: n, Status: (CfsNodeStatus?)null, Error: e.Message);
            }
        })).ConfigureAwait(false);
        foreach (var (node, status, error) in answers)
        {
            if (status is not null)
                rows.Add(status);
            else
                unreachable.Add($"node {node}: {error}");
        }
        CfsServerStatus? server = null;
        try
        {
            server = _server is not null
                ? _server.GetStatus()
                : JsonSerializer.Deserialize(await daemon.Ics.RequestAsync(daemon.Config.CfsServer, CfsMethods.ServerStatus, ReadOnlyMemory<byte>.Empty, StatusTimeout, ct).ConfigureAwait(false), CfsJson.Default.CfsServerStatus);
        }
        catch (SsiException e)
        {
            unreachable.Add($"CFS server node {daemon.Config.CfsServer}: {e.Message}");
        }
        return JsonSerializer.SerializeToUtf8Bytes(new CfsClusterStatus(rows, server, unreachable), CfsJson.Default.CfsClusterStatus);
    }

    public async ValueTask DisposeAsync()
    {
        _events?.Dispose();
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            if (_mounting is not null)
                await _mounting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        if (_mount is not null)
            await _mount.DisposeAsync().ConfigureAwait(false);
        _server?.Dispose();
    }
}
