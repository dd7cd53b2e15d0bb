using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Membership;

// Forming, joining, rejoining, leaving; committing changes on the master.
public sealed partial class ClusterMembership
{
    private volatile bool _joining;
    private TimeSpan _promotingUntil;
    private readonly Dictionary<int, string> _peerAddresses = [];
    private volatile bool _peersDirty;

    private string IcsAddress => (_options.IcsListen ?? _ics.ListenEndPoint).ToString();

    private string RaftAddress => _options.RaftListen.ToString();

    private JoinRequest OwnJoinRequest => new(_options.NodeName, IcsAddress, RaftAddress);

    /// <summary>First node of a new cluster: a one-voter Raft group that elects itself.</summary>
    private async Task FormAsync(CancellationToken ct)
    {
        _log.LogInformation("{Node}: forming a new cluster", _options.NodeName);
        var raft = await StartRaftAsync(coldStart: true, fresh: true, ct).ConfigureAwait(false);
        await raft.Cluster.WaitForLeadershipAsync(ct).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        await CommitAsync(new MembershipCommand(CommandKind.Init, now,
            ClusterName: _options.ClusterName ?? _ics.Credentials.ClusterName, ClusterId: _ics.Credentials.ClusterId), ct).ConfigureAwait(false);
        var reply = await JoinLocallyAsync(OwnJoinRequest, voter: true, ct).ConfigureAwait(false);
        ApplyJoinReply(reply);
        await CommitAsync(new MembershipCommand(CommandKind.SetState, DateTimeOffset.UtcNow, reply.Number,
            To: NodeState.Up, Reason: "formed the cluster"), ct).ConfigureAwait(false);
    }

    /// <summary>Joins (or rejoins) through the master, a seed, or any node known from before; retries until it works.</summary>
    private async Task JoinAsync(CancellationToken ct)
    {
        var request = JsonSerializer.SerializeToUtf8Bytes(OwnJoinRequest, MembershipJson.Default.JoinRequest);
        var delay = TimeSpan.FromMilliseconds(100);
        var timeout = _options.CommitTimeout + TimeSpan.FromSeconds(1);
        SsiException? last = null;
        for (var attempt = 1; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                if (IsMaster)
                {
                    ApplyJoinReply(await JoinLocallyAsync(OwnJoinRequest, voter: null, ct).ConfigureAwait(false));
                    return;
                }
                foreach (var target in JoinTargets())
                {
                    try
                    {
                        var bytes = target.Node > 0
                            ? await _ics.RequestAsync(target.Node, ClmsMethods.Join, request, timeout, ct).ConfigureAwait(false)
                            : await _ics.RequestAsync(target.Address!, ClmsMethods.Join, request, timeout, ct).ConfigureAwait(false);
                        var reply = JsonSerializer.Deserialize(bytes, MembershipJson.Default.JoinReply)
                            ?? throw new SsiException(Status.Internal, "empty join reply");
                        ApplyJoinReply(reply);
                        _log.LogInformation("{Node}: joined as node {Number} (voter: {Voter}) via {Target}",
                            _options.NodeName, reply.Number, reply.IsVoter, target);
                        return;
                    }
                    catch (SsiException e)
                    {
                        last = e;
                    }
                }
            }
            catch (SsiException e)
            {
                last = e;
            }
            if (attempt % 20 == 0)
                _log.LogWarning("{Node}: still trying to join ({Attempts} attempts): {Reason}", _options.NodeName, attempt, last?.Message ?? "no seed known");
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }

    private readonly record struct JoinTarget(int Node, IPEndPoint? Address)
    {
        public override string ToString() => Node > 0 ? $"node {Node}" : Address!.ToString();
    }

    private List<JoinTarget> JoinTargets()
    {
        var targets = new List<JoinTarget>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { IcsAddress };
        var master = CurrentMaster();
        if (master > 0 && master != LocalNode && _ics.Peers.ContainsKey(master))
            targets.Add(new JoinTarget(master, null));
        if (_options.JoinSeed is { } seed && seen.Add(seed.ToString()))
            targets.Add(new JoinTarget(0, seed));
        var known = _replica.Read(s => s.Members.Where(m => m.State != NodeState.Down).Select(m => m.IcsAddress).ToList());
        foreach (var address in known.Concat(LoadLocal()?.Peers ?? []))
            if (seen.Add(address) && IPEndPoint.TryParse(address, out var ep))
                targets.Add(new JoinTarget(0, ep));
        return targets;
    }

    private void ApplyJoinReply(JoinReply reply)
    {
        _replica.TryCatchUp(reply.State);
        Volatile.Write(ref _localNumber, reply.Number);
        _ics.LocalNode = reply.Number;
        UpdatePeers();
        SaveLocal();
        if (!reply.IsVoter && _raft is not null && Now > _promotingUntil)
            _ = StopRaftAsync(wipe: true, "this node is no longer a voter");
    }

    private async ValueTask<ReadOnlyMemory<byte>> HandleJoinAsync(IncomingRequest request, CancellationToken ct)
    {
        if (!IsMaster)
            return await ForwardToMasterAsync(ClmsMethods.Join, request.Payload, ct).ConfigureAwait(false);
        var join = JsonSerializer.Deserialize(request.Payload.Span, MembershipJson.Default.JoinRequest)
            ?? throw new SsiException(Status.InvalidArgument, "empty join request");
        if (string.IsNullOrWhiteSpace(join.Name) || !IPEndPoint.TryParse(join.IcsAddress, out _))
            throw new SsiException(Status.InvalidArgument, $"join request with an invalid name or address ({join.Name}, {join.IcsAddress})");
        var reply = await JoinLocallyAsync(join, voter: null, ct).ConfigureAwait(false);
        return JsonSerializer.SerializeToUtf8Bytes(reply, MembershipJson.Default.JoinReply);
    }

    /// <summary>On the master: commits the join and answers with the node's number and the state.</summary>
    private async Task<JoinReply> JoinLocallyAsync(JoinRequest join, bool? voter, CancellationToken ct)
    {
        var existing = _replica.Read(s => s.FindByName(join.Name));
        // A node that comes back before its death was noticed lost everything it had: say DOWN first,
        // so that every nodedown handler runs before it is seen coming up again.
        if (existing is { State: NodeState.Up or NodeState.GoingDown })
            await CommitAsync(new MembershipCommand(CommandKind.SetState, DateTimeOffset.UtcNow, existing.Number,
                To: NodeState.Down, Reason: "restarted"), ct).ConfigureAwait(false);
        await CommitAsync(new MembershipCommand(CommandKind.Join, DateTimeOffset.UtcNow, Name: join.Name,
            IcsAddress: join.IcsAddress, RaftAddress: join.RaftAddress, Voter: voter,
            Reason: existing is null ? "joined" : "rejoined"), ct).ConfigureAwait(false);
        var (record, snapshot) = _replica.Read(s => (s.FindByName(join.Name), s.ToSnapshot()));
        if (record is null)
            throw new SsiException(Status.Internal, $"join of {join.Name} was committed but the node is not in the member list");
        _liveness.Reset(record.Number, Now);
        return new JoinReply(record.Number, record.IsVoter, snapshot);
    }

    private async ValueTask<ReadOnlyMemory<byte>> HandleLeaveAsync(IncomingRequest request, CancellationToken ct)
    {
        if (!IsMaster)
            return await ForwardToMasterAsync(ClmsMethods.Leave, request.Payload, ct).ConfigureAwait(false);
        var leave = JsonSerializer.Deserialize(request.Payload.Span, MembershipJson.Default.LeaveRequest)
            ?? throw new SsiException(Status.InvalidArgument, "empty leave request");
        await LeaveLocallyAsync(leave, ct).ConfigureAwait(false);
        return ReadOnlyMemory<byte>.Empty;
    }

    private async Task LeaveLocallyAsync(LeaveRequest leave, CancellationToken ct)
    {
        if (_replica.Read(s => s.Find(leave.Node)) is not { State: not NodeState.Down })
            return;
        await CommitAsync(new MembershipCommand(CommandKind.SetState, DateTimeOffset.UtcNow, leave.Node,
            To: NodeState.GoingDown, Reason: leave.Reason), ct).ConfigureAwait(false);
        await CommitAsync(new MembershipCommand(CommandKind.SetState, DateTimeOffset.UtcNow, leave.Node,
            To: NodeState.Down, Reason: leave.Reason), ct).ConfigureAwait(false);
    }

    private async Task SendToMasterAsync(ushort method, byte[] payload, CancellationToken ct)
    {
        if (IsMaster && method == ClmsMethods.Leave)
        {
            var leave = JsonSerializer.Deserialize(payload, MembershipJson.Default.LeaveRequest)!;
            await LeaveLocallyAsync(leave, ct).ConfigureAwait(false);
            return;
        }
        await ForwardToMasterAsync(method, payload, ct).ConfigureAwait(false);
    }

    private async Task<byte[]> ForwardToMasterAsync(ushort method, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var master = CurrentMaster();
        if (master <= 0 || master == LocalNode)
            throw new SsiException(Status.Unavailable,
                $"node {LocalNode} ({_options.NodeName}) knows no CLMS master right now (election in progress or no quorum); retry shortly");
        return await _ics.RequestAsync(master, method, payload, _options.CommitTimeout + TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
    }

    /// <summary>Commits one command through Raft (master only); returns once it is applied here.</summary>
    private async Task CommitAsync(MembershipCommand command, CancellationToken ct)
    {
        var raft = _raft ?? throw new SsiException(Status.Unavailable, $"node {LocalNode} is not a voter and cannot commit membership changes");
        await _commitLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await raft.ReplicateAsync(command, _options.CommitTimeout, ct).ConfigureAwait(false);
        }
        finally
        {
            _commitLock.Release();
        }
    }

    private async Task<RaftVoter> StartRaftAsync(bool coldStart, bool fresh, CancellationToken ct)
    {
        await _raftLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_raft is { } running)
                return running;
            if (fresh && Directory.Exists(RaftDirectory))
                Directory.Delete(RaftDirectory, recursive: true);
            var raft = await RaftVoter.StartAsync(RaftDirectory, _options.RaftListen, coldStart, _options, _replica, Certificate, _logs, ct).ConfigureAwait(false);
            _raft = raft;
            return raft;
        }
        finally
        {
            _raftLock.Release();
        }
    }

    private async Task StopRaftAsync(bool wipe, string reason)
    {
        await _raftLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_raft is not { } raft)
                return;
            _log.LogInformation("node {Node}: stopping Raft: {Reason}", LocalNode, reason);
            _raft = null;
            await raft.DisposeAsync().ConfigureAwait(false);
            if (wipe && Directory.Exists(RaftDirectory))
                Directory.Delete(RaftDirectory, recursive: true);
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "node {Node}: stopping Raft failed", LocalNode);
        }
        finally
        {
            _raftLock.Release();
        }
    }

    /// <summary>The master asks this node to start a fresh Raft instance before it adds it to the voter set.</summary>
    private async ValueTask<ReadOnlyMemory<byte>> HandleBecomeVoterAsync(IncomingRequest request, CancellationToken ct)
    {
        _promotingUntil = Now + TimeSpan.FromSeconds(30);
        await StartRaftAsync(coldStart: false, fresh: true, ct).ConfigureAwait(false);
        return ReadOnlyMemory<byte>.Empty;
    }

    private int CurrentMaster()
    {
        if (_raft is { } raft)
        {
            try
            {
                if (raft.LeaderAddress is { } address)
                    return raft.IsLeader ? LocalNode : _replica.Read(s => s.FindByRaftAddress(address)?.Number ?? 0);
            }
            catch (ObjectDisposedException)
            {
            }
            return 0;
        }
        var (master, at) = _masterHint;
        return master > 0 && Now - at < _options.SuspectAfter * 2 ? master : 0;
    }

    private bool ComputeHasQuorum()
    {
        if (_raft is { } raft)
            return raft.IsLeader || raft.HasConsensus;
        var me = LocalNode;
        if (me == 0)
            return false;
        var now = Now;
        var window = _options.SuspectAfter * 2;
        var (voters, heard) = _replica.Read(s =>
        {
            var v = s.Members.Where(m => m.IsVoter).Select(m => m.Number).ToList();
            return (v.Count, v.Count(n => _liveness.HeardWithin(n, now, window)));
        });
        return voters > 0 && heard * 2 > voters;
    }

    private void OnReplicaChanged()
    {
        UpdatePeers();
        var me = LocalNode;
        if (me == 0 || _raft is null || Now <= _promotingUntil)
            return;
        if (_replica.Read(s => s.Find(me)) is { IsVoter: false, State: NodeState.Up })
            _ = StopRaftAsync(wipe: true, "removed from the voter set");
    }

    private void UpdatePeers()
    {
        var me = LocalNode;
        var members = _replica.Read(s => s.Members.Select(m => (m.Number, m.IcsAddress)).ToList());
        lock (_peerAddresses)
        {
            foreach (var (number, address) in members)
            {
                if (number == me || (_peerAddresses.TryGetValue(number, out var known) && known == address))
                    continue;
                if (!IPEndPoint.TryParse(address, out var ep))
                    continue;
                _ics.SetPeer(number, ep);
                _peerAddresses[number] = address;
                _peersDirty = true;
            }
        }
    }

    private string LocalFile => Path.Combine(_directory, "membership.json");

    private LocalMembership? LoadLocal()
    {
        try
        {
            return File.Exists(LocalFile)
                ? JsonSerializer.Deserialize(File.ReadAllBytes(LocalFile), MembershipJson.Default.LocalMembership)
                : null;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            _log.LogWarning("{Node}: ignoring unreadable {File}: {Reason}", _options.NodeName, LocalFile, e.Message);
            return null;
        }
    }

    private void SaveLocal()
    {
        _peersDirty = false;
        var (id, peers) = _replica.Read(s => (s.ClusterId, s.Members.Select(m => m.IcsAddress).ToList()));
        var local = new LocalMembership(id, LocalNode, peers);
        var temp = LocalFile + ".tmp";
        try
        {
            File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(local, MembershipJson.Default.LocalMembership));
            File.Move(temp, LocalFile, overwrite: true);
        }
        catch (IOException e)
        {
            _log.LogWarning("{Node}: cannot save {File}: {Reason}", _options.NodeName, LocalFile, e.Message);
        }
    }
}
