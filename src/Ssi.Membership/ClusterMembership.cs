using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Membership;

/// <summary>
/// Cluster membership (CLMS) of one node: who is in the cluster, with which number, who is UP,
/// who is the master, whether this node's side of the network has quorum, and the ordered
/// stream of node events every other subsystem's nodedown handler subscribes to.
/// </summary>
/// <remarks>
/// <para>The member list lives in the state machine of a small Raft group (DotNext, at most
/// <see cref="ClusterMembershipOptions.MaxVoters"/> voters); its leader is the CLMS master and
/// the only node that commits changes. Other nodes forward their requests (join, leave) to it
/// over ICS. Members beyond the voters do not run Raft: the master pushes every committed change
/// to them, and they pull a snapshot when they find themselves behind.</para>
/// <para>Liveness is observed over ICS: every node sends a heartbeat to every voter, voters send
/// one to every node. A node silent for <see cref="ClusterMembershipOptions.SuspectAfter"/> is
/// probed once directly by the master and, failing that, committed DOWN. A dead master is
/// replaced by Raft election, and the new master commits its DOWN.</para>
/// <para>Every committed change increments the epoch; events carry it and every node delivers
/// them in epoch order.</para>
/// </remarks>
public sealed partial class ClusterMembership : IAsyncDisposable
{
    private readonly ClusterMembershipOptions _options;
    private readonly IcsNode _ics;
    private readonly ILoggerFactory _logs;
    private readonly ILogger _log;
    private readonly MembershipReplica _replica = new();
    private readonly LivenessTable _liveness;
    private readonly long _clockStart = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _commitLock = new(1, 1);
    private readonly SemaphoreSlim _raftLock = new(1, 1);
    private readonly string _directory;
    private readonly List<Task> _loops = [];
    private volatile RaftVoter? _raft;
    private int _localNumber;
    private int _started;
    private int _disposed;
    private volatile bool _leaving;

    /// <summary>Creates the membership service of one node and maps its ICS methods on <paramref name="router"/>.</summary>
    /// <param name="options">Where and how this node takes part.</param>
    /// <param name="ics">This node's ICS endpoint (started by the caller, before <see cref="StartAsync"/>).</param>
    /// <param name="router">The router <paramref name="ics"/> serves requests from.</param>
    /// <param name="logs">Logging.</param>
    public ClusterMembership(ClusterMembershipOptions options, IcsNode ics, Router router, ILoggerFactory? logs = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ics);
        ArgumentNullException.ThrowIfNull(router);
        if (options.MaxVoters < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxVoters must be at least 1");
        _options = options;
        _ics = ics;
        _logs = logs ?? NullLoggerFactory.Instance;
        _log = _logs.CreateLogger("clms");
        _directory = Path.Combine(options.StateDir, "clms");
        _liveness = new LivenessTable(options.SuspectAfter, TimeSpan.FromMilliseconds(Math.Max(250, options.HeartbeatInterval.TotalMilliseconds * 2.5)));
        _replica.Changed += OnReplicaChanged;
        _replica.Applied += OnApplied;
        router.MapRequest(ClmsMethods.Join, HandleJoinAsync);
        router.MapRequest(ClmsMethods.GetSnapshot, HandleGetSnapshotAsync);
        router.MapRequest(ClmsMethods.Probe, HandleProbeAsync);
        router.MapRequest(ClmsMethods.BecomeVoter, HandleBecomeVoterAsync);
        router.MapRequest(ClmsMethods.Leave, HandleLeaveAsync);
        router.MapRequest(ClmsMethods.CommitProbe, HandleCommitProbeAsync);
        router.MapOneWay(ClmsMethods.Heartbeat, HandleHeartbeat);
        router.MapOneWay(ClmsMethods.Update, HandleUpdate);
    }

    /// <summary>This node's number (0 until it has joined).</summary>
    public int LocalNode => Volatile.Read(ref _localNumber);

    /// <summary>This node's name.</summary>
    public string NodeName => _options.NodeName;

    /// <summary>True when this node is the CLMS master (the Raft leader, with its term committed).</summary>
    public bool IsMaster => _raft?.IsLeader ?? false;

    /// <summary>True when this node votes in the Raft group.</summary>
    public bool IsVoter => _raft is not null;

    /// <summary>This node's seat in the Raft group, when it votes (tests use it to break the voter set on purpose).</summary>
    internal RaftVoter? Raft => _raft;

    /// <summary>The epoch of the membership state this node has applied.</summary>
    public long Epoch => _replica.Epoch;

    /// <summary>The number of the current master as this node knows it (0 when none is known).</summary>
    public int Master => CurrentMaster();

    /// <summary>
    /// True while this node can take part in cluster decisions: a voter sees a Raft leader and is
    /// in its majority; a member hears from a majority of the voters.
    /// </summary>
    public bool HasQuorum => ComputeHasQuorum();

    private TimeSpan Now => Stopwatch.GetElapsedTime(_clockStart);

    // The Raft port's TLS identity, derived from the cluster key once, when this node first votes.
    private ClusterCertificate Certificate => LazyInitializer.EnsureInitialized(ref _certificate, () => new ClusterCertificate(_ics.Credentials));

    private ClusterCertificate? _certificate;

    private CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// Starts membership: forms a new cluster (<see cref="ClusterMembershipOptions.Init"/> and an
    /// empty state directory), or restarts from the state directory, or joins through
    /// <see cref="ClusterMembershipOptions.JoinSeed"/>. Completes once this node has a number;
    /// it becomes UP shortly after, when the master hears its first heartbeat.
    /// </summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException("membership is already started");
        Directory.CreateDirectory(_directory);
        var local = LoadLocal();
        var raftDir = RaftDirectory;
        var hasRaft = RaftVoter.HasState(raftDir);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, Stopping);

        if (_options.Init && !hasRaft && local is null)
        {
            await FormAsync(linked.Token).ConfigureAwait(false);
        }
        else
        {
            if (hasRaft)
            {
                _log.LogInformation("{Node}: restarting as a voter from {Dir}", _options.NodeName, raftDir);
                await StartRaftAsync(coldStart: false, fresh: false, linked.Token).ConfigureAwait(false);
            }
            else if (_options.JoinSeed is null && local is null)
            {
                throw new SsiException(Status.InvalidArgument,
                    $"node {_options.NodeName} has no membership in {_options.StateDir}: give a seed to join, or init a new cluster");
            }
            await JoinAsync(linked.Token).ConfigureAwait(false);
        }

        _loops.Add(Task.Run(HeartbeatLoopAsync, CancellationToken.None));
        _loops.Add(Task.Run(DetectorLoopAsync, CancellationToken.None));
        _loops.Add(Task.Run(MasterLoopAsync, CancellationToken.None));
    }

    /// <summary>The member list, ordered by node number.</summary>
    public IReadOnlyList<NodeInfo> GetNodes()
    {
        var master = CurrentMaster();
        return _replica.Read(s => s.Members.Select(m => ToInfo(m, master)).ToList());
    }

    /// <summary>One member, or null when no node has that number.</summary>
    public NodeInfo? GetNode(int number)
    {
        var master = CurrentMaster();
        return _replica.Read(s => s.Find(number) is { } m ? ToInfo(m, master) : null);
    }

    /// <summary>The cluster summary as this node sees it.</summary>
    public ClusterInfo GetClusterInfo()
    {
        var master = CurrentMaster();
        var quorum = ComputeHasQuorum();
        return _replica.Read(s => new ClusterInfo(
            s.ClusterName.Length > 0 ? s.ClusterName : _ics.Credentials.ClusterName,
            s.ClusterId.Length > 0 ? s.ClusterId : _ics.Credentials.ClusterId,
            quorum,
            master > 0 ? master : null,
            s.Epoch,
            s.Members.Count(m => m.State != NodeState.Down),
            s.Members.Count(m => m.State == NodeState.Up),
            s.Members.Count(m => m.IsVoter),
            LocalNode));
    }

    /// <summary>
    /// Node events after <paramref name="afterEpoch"/> (as far back as the kept history goes),
    /// then live ones as they are committed, in epoch order, until <paramref name="ct"/> is
    /// cancelled or the node stops. Pass <see cref="Epoch"/> to receive only new events.
    /// </summary>
    public IAsyncEnumerable<NodeEvent> WatchAsync(long afterEpoch = 0, CancellationToken ct = default) =>
        _replica.WatchAsync(afterEpoch, ct);

    /// <summary>
    /// Calls <paramref name="handler"/> for every node event after <paramref name="afterEpoch"/>
    /// (default: from now on), one at a time, in epoch order. This is how a subsystem registers its
    /// nodedown handler. Dispose the result to unsubscribe.
    /// </summary>
    public IDisposable Subscribe(Func<NodeEvent, CancellationToken, ValueTask> handler, long? afterEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var cts = CancellationTokenSource.CreateLinkedTokenSource(Stopping);
        var after = afterEpoch ?? _replica.Epoch;
        var events = _replica.WatchAsync(after, cts.Token);
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var ev in events.ConfigureAwait(false))
                {
                    try
                    {
                        await handler(ev, cts.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        _log.LogError(e, "a node event handler failed on {Event}", ev);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        return new Subscription(cts);
    }

    /// <summary>Waits until node <paramref name="node"/> is in <paramref name="state"/> in this node's view.</summary>
    /// <exception cref="TimeoutException">It did not happen within <paramref name="timeout"/>.</exception>
    public async Task WaitForStateAsync(int node, NodeState state, TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct, Stopping);
        cts.CancelAfter(timeout);
        try
        {
            var epoch = _replica.Epoch;
            if (_replica.Read(s => s.Find(node)?.State) == state)
                return;
            await foreach (var ev in _replica.WatchAsync(epoch, cts.Token).ConfigureAwait(false))
                if (ev.Node == node && ev.To == state)
                    return;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
        throw new TimeoutException($"node {node} did not become {state} within {timeout.TotalSeconds:F1} s in the view of node {LocalNode}");
    }

    /// <summary>
    /// Leaves the cluster on purpose: the master commits GOINGDOWN then DOWN for this node, so that
    /// nobody waits for a failure to be detected. The node stays stopped until it is restarted.
    /// </summary>
    public async Task LeaveAsync(string reason = "left the cluster", CancellationToken ct = default)
    {
        if (LocalNode == 0)
            return;
        _leaving = true;
        var payload = JsonSerializer.SerializeToUtf8Bytes(new LeaveRequest(LocalNode, reason), MembershipJson.Default.LeaveRequest);
        await SendToMasterAsync(ClmsMethods.Leave, payload, ct).ConfigureAwait(false);
    }

    /// <summary>Stops this node's membership (heartbeats, Raft). Other nodes see it as failed unless <see cref="LeaveAsync"/> was called first.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _raftLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_raft is { } raft)
            {
                _raft = null;
                await raft.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _raftLock.Release();
        }
        _replica.CompleteWatchers();
        _certificate?.Dispose();
        _stopping.Dispose();
    }

    private NodeInfo ToInfo(MemberRecord m, int master) => new(
        m.Number, m.Name, m.IcsAddress, m.State,
        m.Number == master ? NodeRole.Master : m.IsVoter ? NodeRole.Voter : NodeRole.Member,
        m.UpSince, null);

    private string RaftDirectory => Path.Combine(_directory, "raft");

    private sealed class Subscription(CancellationTokenSource cts) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
            cts.Dispose();
        }
    }
}
