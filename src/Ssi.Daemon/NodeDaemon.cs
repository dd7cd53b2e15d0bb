using System.Net;
using Microsoft.Extensions.Logging;
using Ssi.Client;
using Ssi.Ics;
using Ssi.Membership;
using Ssi.Protocol;
using Ssi.Vproc.Service;

namespace Ssi.Daemon;

/// <summary>
/// One node's daemon: ICS toward the other nodes, the local socket toward the CLI, and the
/// layers on top (membership now; processes and files come with their issues).
/// </summary>
internal sealed class NodeDaemon : IAsyncDisposable
{
    private readonly ILogger _log;
    private readonly CancellationTokenSource _shutdown = new();
    private IcsNode? _ics;
    private LocalServer? _local;
    private ClusterMembership? _membership;
    private VprocService? _vproc;
    private CfsService? _cfs;

    private NodeDaemon(NodeConfig config, ClusterCredentials credentials, ILoggerFactory logs)
    {
        Config = config;
        Credentials = credentials;
        Logs = logs;
        _log = logs.CreateLogger("ssid");
    }

    public NodeConfig Config { get; }

    public ClusterCredentials Credentials { get; }

    public ILoggerFactory Logs { get; }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public IcsNode Ics => _ics!;

    public ClusterMembership Membership => _membership!;

    public static async Task<NodeDaemon> StartAsync(string stateDir, ILoggerFactory logs, CancellationToken ct)
    {
        var config = NodeConfig.Load(stateDir);
        var credentials = ClusterCredentials.Load(Path.Combine(stateDir, NodeConfig.CredentialsFileName));
        var daemon = new NodeDaemon(config, credentials, logs);
        try
        {
            await daemon.StartLayersAsync(stateDir, ct).ConfigureAwait(false);
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartLayersAsync(string stateDir, CancellationToken ct)
    {
        var router = new Router();
        _ics = new IcsNode(new IcsOptions
        {
            Credentials = Credentials,
            NodeName = Config.Name,
            Listen = NodeConfig.ParseEndPoint(Config.Listen, "listen"),
        }, router, Logs);
        _membership = new ClusterMembership(new ClusterMembershipOptions
        {
            StateDir = stateDir,
            NodeName = Config.Name,
            ClusterName = Credentials.ClusterName,
            IcsListen = NodeConfig.ParseEndPoint(Config.Listen, "listen"),
            RaftListen = NodeConfig.ParseEndPoint(Config.RaftListen, "raftListen"),
            Init = Config.Init,
            JoinSeed = Config.Seed is null ? null : NodeConfig.ParseEndPoint(Config.Seed, "seed"),
            MaxVoters = Config.MaxVoters,
        }, _ics, router, Logs);
        new ControlService(this, _shutdown).Map(router);
        new DiagnosticService().Map(router);
        _vproc = new VprocService(_ics, new MembershipClusterView(_membership), new VprocOptions
        {
            StateDir = stateDir,
            ClusterName = Credentials.ClusterName,
            NodeName = Config.Name,
            Socket = Config.Socket,
        }, Logs);
        _vproc.Map(router);
        _cfs = new CfsService(this);
        _cfs.Map(router);

        await _ics.StartAsync(ct).ConfigureAwait(false);
        _local = new LocalServer(Config.Socket, router, Logs);
        _local.Start();
        _log.LogInformation("node {Name} serving {Socket}, ICS on {Listen}, {Cluster}", Config.Name, Config.Socket, _ics.ListenEndPoint, Credentials);
        await _membership.StartAsync(ct).ConfigureAwait(false);
        _log.LogInformation("node {Name} is node {Number} of {Cluster}", Config.Name, _membership.LocalNode, Credentials);
        await _vproc.StartAsync(ct).ConfigureAwait(false);
        _cfs.Start();
    }

    /// <summary>Runs until a signal or a shutdown request; on the way out, leaves the cluster cleanly.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _log.LogInformation("leaving the cluster");
        try
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await Membership.LeaveAsync("daemon stopped", grace.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SsiException or OperationCanceledException or TimeoutException)
        {
            _log.LogWarning("could not leave cleanly ({Reason}); the others will detect this node as failed", e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_cfs is not null)
            await _cfs.DisposeAsync().ConfigureAwait(false);
        if (_vproc is not null)
            await _vproc.DisposeAsync().ConfigureAwait(false);
        if (_local is not null)
            await _local.DisposeAsync().ConfigureAwait(false);
        if (_membership is not null)
            await _membership.DisposeAsync().ConfigureAwait(false);
        if (_ics is not null)
            await _ics.DisposeAsync().ConfigureAwait(false);
    }
}
