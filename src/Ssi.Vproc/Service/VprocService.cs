using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ssi.Ics;
using Ssi.Protocol;
using Ssi.Vproc.Jobs;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Service;

/// <summary>
/// The vproc layer of a node daemon. As origin it numbers the cluster processes its local
/// callers start, keeps their records and relays their stdio; as target it runs cluster jobs
/// (<see cref="Job"/>) and answers for them: signals, ps, attach. Every node answers for what
/// runs on it, so when an origin dies its processes stay listed and signalable.
/// </summary>
public sealed partial class VprocService : IAsyncDisposable
{
    private readonly IcsNode _ics;
    private readonly IClusterView _cluster;
    private readonly VprocOptions _options;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<int, Job> _jobs = new();
    private readonly ProcessRecords _records;
    private readonly CancellationTokenSource _stopping = new();
    private ClusterPidAllocator? _pids;
    private CgroupTree? _cgroups;
    private ShimLauncher? _launcher;
    private IDisposable? _nodeDown;
    private string? _unavailable;

    /// <summary>Creates the service; map it with <see cref="Map"/>, then <see cref="StartAsync"/> once the node has joined.</summary>
    public VprocService(IcsNode ics, IClusterView cluster, VprocOptions options, ILoggerFactory? logs = null)
    {
        _ics = ics;
        _cluster = cluster;
        _options = options;
        _records = new ProcessRecords(options.KeepEnded);
        _log = (logs ?? NullLoggerFactory.Instance).CreateLogger("vproc");
    }

    private int LocalNode => _cluster.LocalNode;

    /// <summary>Registers the CLI-facing and node-to-node methods.</summary>
    public void Map(Router router) => router
        .MapStream(VprocMethods.Run, ServeRunAsync)
        .MapStream(VprocMethods.Attach, ServeAttachAsync)
        .MapRequest(VprocMethods.Kill, KillAsync)
        .MapRequest(VprocMethods.Where, WhereAsync)
        .MapRequest(VprocMethods.Ps, PsAsync)
        .MapRequest(VprocMethods.Resize, ResizeAsync)
        .MapStream(VprocMethods.Exec, ServeExecAsync)
        .MapStream(VprocMethods.AttachJob, ServeAttachJobAsync)
        .MapRequest(VprocMethods.SignalJob, SignalJobAsync)
        .MapRequest(VprocMethods.ListJobs, ListJobsAsync)
        .MapRequest(VprocMethods.ReportExit, ReportExitAsync)
        .MapRequest(VprocMethods.Lookup, LookupAsync)
        .MapRequest(VprocMethods.ResizeJob, ResizeJobAsync)
        .MapRequest(VprocMethods.Load, (request, _) =>
        {
            RequireNode(request);
            return ValueTask.FromResult<ReadOnlyMemory<byte>>(EncodeLoad(LoadHere()));
        });

    /// <summary>
    /// Opens the cluster PID counter and this node's cgroup, kills what an earlier run of the
    /// daemon left (the cluster already declared it ended by node failure) and subscribes to
    /// node events. Call once the node has its number.
    /// </summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (LocalNode < 1)
            throw new SsiException(Status.NotFormed, "vproc starts once the node has joined the cluster");
        try
        {
            _launcher = new ShimLauncher(InitShim.Locate());
            _cgroups = CgroupTree.Open(_options.ClusterName, _options.NodeName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The node still serves the cluster (membership, files); only processes are off.
            _unavailable = $"node {LocalNode} cannot run cluster processes: {e.Message}";
            _log.LogError("{Reason}", _unavailable);
            return;
        }
        var left = await _cgroups.KillLeftoversAsync().ConfigureAwait(false);
        if (left > 0)
            _log.LogWarning("killed {Count} cluster jobs left by an earlier run of this node's daemon", left);
        _pids = new ClusterPidAllocator(_options.StateDir, LocalNode);
        _nodeDown = _cluster.OnNodeDown(NodeDownAsync);
        _log.LogInformation("vproc ready: cluster PIDs {First}.., job cgroups under {Cgroup}", ClusterPid.Of(LocalNode, 1), _cgroups.NodePath);
    }

    private void RequireReady()
    {
        if (_unavailable is not null)
            throw new SsiException(Status.Unavailable, _unavailable);
        if (_pids is null)
            throw new SsiException(Status.NotFormed, $"node {LocalNode}: cluster processes are not ready yet (the node is still joining)");
    }

    private static void RequireLocal(IncomingRequest request)
    {
        if (!request.Peer.IsLocal)
            throw new SsiException(Status.PermissionDenied, "this method is for local callers");
    }

    // Node-to-node methods carry a caller's uid: a local process must not be able to claim one.
    private static void RequireNode(IncomingRequest request)
    {
        if (request.Peer.IsLocal || request.Peer.Node < 1)
            throw new SsiException(Status.PermissionDenied, "this method is for cluster nodes");
    }

    private IEnumerable<NodeInfo> UpNodes() => _cluster.Nodes.Where(n => n.State == NodeState.Up);

    private bool IsUp(int node) => node == LocalNode || _cluster.Nodes.Any(n => n.Number == node && n.State == NodeState.Up);

    private static T Parse<T>(ReadOnlyMemory<byte> payload, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(payload.Span, type) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new SsiException(Status.InvalidArgument, $"malformed {typeof(T).Name}: {e.Message}");
        }
    }

    private static ReadOnlyMemory<byte> Encode<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);

    private async Task<TReply> AskAsync<TRequest, TReply>(int node, ushort method, TRequest request, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TReply> replyType, CancellationToken ct)
    {
        var reply = await _ics.RequestAsync(node, method, Encode(request, requestType), _options.RequestTimeout, ct).ConfigureAwait(false);
        return JsonSerializer.Deserialize(reply, replyType) ?? throw new SsiException(Status.Internal, $"node {node} sent an empty reply");
    }

    /// <summary>
    /// Stops: this node is leaving, so its jobs are killed (the cluster reports them ended by
    /// node failure). A daemon that dies without stopping leaves them to its next start.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _nodeDown?.Dispose();
        await _stopping.CancelAsync().ConfigureAwait(false);
        _launcher?.Dispose();
        if (_cgroups is not null)
            await _cgroups.RemoveAsync().ConfigureAwait(false);
    }
}
