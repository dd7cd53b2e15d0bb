using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Membership;

// Heartbeats, failure detection, DOWN commits, state pushes and catch-up, voter-set repair.
public sealed partial class ClusterMembership
{
    private readonly ConcurrentDictionary<int, Task> _heartbeatsInFlight = new();
    private readonly ConcurrentDictionary<int, byte> _suspects = new();
    private readonly ConcurrentDictionary<int, byte> _comingUp = new();
    private (int Node, TimeSpan At) _masterHint;
    private (long Epoch, int From) _newestSeen;
    private TimeSpan? _behindSince;
    private int _pulling;

    private async Task HeartbeatLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        var payload = new byte[Heartbeat.Size];
        for (long round = 0; await WaitAsync(timer).ConfigureAwait(false); round++)
        {
            var me = LocalNode;
            if (me == 0 || _leaving)
                continue;
            var voter = _raft is not null;
            var master = CurrentMaster();
            new Heartbeat(me, _replica.Epoch, master).Write(payload);
            // Voters tell everyone (members need to hear the voters to know they have quorum, and learn
            // the newest epoch from them); everyone tells the voters. DOWN nodes hear about once a
            // second, enough for a node that was cut off and came back to learn that it must rejoin.
            var slowRound = round % 10 == 0;
            var targets = _replica.Read(s => s.Members
                .Where(m => m.Number != me && (voter || m.IsVoter) && (m.State != NodeState.Down || slowRound))
                .Select(m => m.Number).ToList());
            var bytes = payload.ToArray();
            foreach (var target in targets)
                SendHeartbeat(target, bytes);
        }
    }

    private void SendHeartbeat(int node, byte[] payload)
    {
        // One heartbeat in flight per peer: an unreachable peer must not pile up dial attempts.
        if (_heartbeatsInFlight.TryGetValue(node, out var pending) && !pending.IsCompleted)
            return;
        _heartbeatsInFlight[node] = SendQuietlyAsync(node, ClmsMethods.Heartbeat, payload);
    }

    private async Task SendQuietlyAsync(int node, ushort method, byte[] payload)
    {
        try
        {
            await _ics.SendAsync(node, method, payload, Stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SsiException or OperationCanceledException or IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
        }
    }

    private void HandleHeartbeat(PeerIdentity peer, ushort method, ReadOnlyMemory<byte> payload)
    {
        if (!Heartbeat.TryRead(payload.Span, out var hb) || hb.From <= 0)
            return;
        var now = Now;
        _liveness.Heard(hb.From, now);
        if (hb.Master > 0)
            _masterHint = (hb.Master, now);
        if (hb.Epoch > _newestSeen.Epoch)
            _newestSeen = (hb.Epoch, hb.From);
    }

    private void HandleUpdate(PeerIdentity peer, ushort method, ReadOnlyMemory<byte> payload)
    {
        CommittedUpdate? update;
        try
        {
            update = JsonSerializer.Deserialize(payload.Span, MembershipJson.Default.CommittedUpdate);
        }
        catch (JsonException e)
        {
            _log.LogWarning("node {Node}: malformed membership update from {Peer}: {Reason}", LocalNode, peer, e.Message);
            return;
        }
        if (update is null)
            return;
        if (_replica.TryApply(update.Epoch, update.Command) == MembershipReplica.ApplyResult.Gap)
        {
            var from = peer.Node > 0 ? peer.Node : CurrentMaster();
            if (update.Epoch > _newestSeen.Epoch)
                _newestSeen = (update.Epoch, from);
            StartPull(from);
        }
    }

    /// <summary>On the master: every command it commits is pushed at once to every other live node.</summary>
    private void OnApplied(long epoch, MembershipCommand command)
    {
        if (!IsMaster)
            return;
        var me = LocalNode;
        var payload = JsonSerializer.SerializeToUtf8Bytes(new CommittedUpdate(epoch, command), MembershipJson.Default.CommittedUpdate);
        var targets = _replica.Read(s => s.Members.Where(m => m.Number != me && m.State != NodeState.Down).Select(m => m.Number).ToList());
        foreach (var target in targets)
            _ = SendQuietlyAsync(target, ClmsMethods.Update, payload);
    }

    private void StartPull(int from)
    {
        if (from <= 0 || from == LocalNode || Interlocked.Exchange(ref _pulling, 1) != 0)
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                var bytes = await _ics.RequestAsync(from, ClmsMethods.GetSnapshot, ReadOnlyMemory<byte>.Empty, TimeSpan.FromSeconds(2), Stopping).ConfigureAwait(false);
                if (JsonSerializer.Deserialize(bytes, MembershipJson.Default.MembershipSnapshot) is { } snapshot)
                    _replica.TryCatchUp(snapshot);
            }
            catch (Exception e) when (e is SsiException or OperationCanceledException or JsonException)
            {
                _log.LogDebug("node {Node}: catching up from node {From} failed: {Reason}", LocalNode, from, e.Message);
            }
            finally
            {
                Volatile.Write(ref _pulling, 0);
            }
        });
    }

    private ValueTask<ReadOnlyMemory<byte>> HandleGetSnapshotAsync(IncomingRequest request, CancellationToken ct) =>
        new(JsonSerializer.SerializeToUtf8Bytes(_replica.Read(s => s.ToSnapshot()), MembershipJson.Default.MembershipSnapshot));

    private ValueTask<ReadOnlyMemory<byte>> HandleProbeAsync(IncomingRequest request, CancellationToken ct)
    {
        var reply = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(reply, _replica.Epoch);
        return new(reply);
    }

    private async Task DetectorLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(10, _options.HeartbeatInterval.TotalMilliseconds / 2)));
        while (await WaitAsync(timer).ConfigureAwait(false))
        {
            try
            {
                DetectOnce();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogError(e, "node {Node}: failure detector round failed", LocalNode);
            }
        }
    }

    private void DetectOnce()
    {
        var now = Now;
        var stall = _liveness.Tick(now);
        if (stall > TimeSpan.Zero)
            _log.LogInformation("node {Node}: this node stalled for {Stall} ms; forgiving peers' silence", LocalNode, (int)stall.TotalMilliseconds);
        CatchUpIfBehind(now);
        var me = LocalNode;
        if (me == 0)
            return;
        if (_peersDirty)
            SaveLocal();
        var members = _replica.Read(s => s.Members.ToList());
        if (!_leaving && !_joining && members.FirstOrDefault(m => m.Number == me) is { State: NodeState.Down })
            StartRejoin();
        if (!IsMaster)
            return;

        foreach (var m in members)
        {
            if (m.Number == me)
            {
                if (m.State == NodeState.ComingUp)
                    CommitInBackground(_comingUp, m, NodeState.Up, "master is up");
                continue;
            }
            if (m.State == NodeState.Down)
            {
                _liveness.Forget(m.Number);
                continue;
            }
            _liveness.Watch(m.Number, now);
            if (_liveness.IsSuspect(m.Number, now))
                StartProbe(m);
            else if (m.State == NodeState.ComingUp && _liveness.IsConfirmed(m.Number))
                CommitInBackground(_comingUp, m, NodeState.Up, "heartbeat received after join");
        }
    }

    private void CatchUpIfBehind(TimeSpan now)
    {
        var (epoch, from) = _newestSeen;
        if (epoch <= _replica.Epoch)
        {
            _behindSince = null;
            return;
        }
        // The push normally arrives before the next heartbeat; pull only when it did not.
        _behindSince ??= now;
        if (now - _behindSince.Value > _options.HeartbeatInterval * 1.5)
        {
            _behindSince = now;
            StartPull(from);
        }
    }

    private void StartRejoin()
    {
        _joining = true;
        _ = Task.Run(async () =>
        {
            try
            {
                _log.LogInformation("node {Node}: the cluster declared this node DOWN; rejoining", LocalNode);
                await JoinAsync(Stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                _joining = false;
            }
        });
    }

    private void CommitInBackground(ConcurrentDictionary<int, byte> busy, MemberRecord m, NodeState to, string reason)
    {
        if (!busy.TryAdd(m.Number, 0))
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await CommitAsync(new MembershipCommand(CommandKind.SetState, DateTimeOffset.UtcNow, m.Number, To: to, Reason: reason), Stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SsiException or OperationCanceledException)
            {
                _log.LogDebug("node {Node}: could not commit node {Target} {State}: {Reason}", LocalNode, m.Number, to, e.Message);
            }
            finally
            {
                busy.TryRemove(m.Number, out _);
            }
        });
    }

    /// <summary>A silent node gets one direct probe; if that fails too, the master commits it DOWN.</summary>
    private void StartProbe(MemberRecord m)
    {
        if (!_suspects.TryAdd(m.Number, 0))
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                try
                {
                    await _ics.RequestAsync(m.Number, ClmsMethods.Probe, ReadOnlyMemory<byte>.Empty, _options.ProbeTimeout, Stopping).ConfigureAwait(false);
                    _liveness.Heard(m.Number, Now);
                    _log.LogInformation("node {Node}: node {Target} missed heartbeats but answered a probe", LocalNode, m.Number);
                    return;
                }
                catch (SsiException)
                {
                }
                var silence = _liveness.Silence(m.Number, Now);
                if (!IsMaster || silence is null || silence <= _options.SuspectAfter)
                    return;
                var reason = $"no heartbeat for {(int)silence.Value.TotalMilliseconds} ms and no answer to a probe (master node {LocalNode})";
                _log.LogWarning("node {Node}: declaring node {Target} ({Name}) DOWN: {Reason}", LocalNode, m.Number, m.Name, reason);
                await CommitAsync(new MembershipCommand(CommandKind.SetState, DateTimeOffset.UtcNow, m.Number, To: NodeState.Down, Reason: reason), Stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SsiException or OperationCanceledException)
            {
                _log.LogDebug("node {Node}: could not commit node {Target} DOWN: {Reason}", LocalNode, m.Number, e.Message);
            }
            finally
            {
                _suspects.TryRemove(m.Number, out _);
            }
        });
    }

    /// <summary>On the master: keeps the Raft voter set at the wanted size, replacing dead voters.</summary>
    private async Task MasterLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (await WaitAsync(timer).ConfigureAwait(false))
        {
            if (!IsMaster || _raft is not { } raft)
                continue;
            var seats = raft.Cluster.Members.Select(m => m.EndPoint).ToHashSet();
            var decision = _replica.Read(s => VoterPolicy.Decide(s.Members, LocalNode, _options.MaxVoters,
                s.Members.Where(m => IPEndPoint.TryParse(m.RaftAddress, out var a) && seats.Contains(a)).Select(m => m.Number).ToHashSet()));
            if (decision is null)
                continue;
            try
            {
                await ApplyVoterDecisionAsync(raft, decision).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !Stopping.IsCancellationRequested)
            {
                _log.LogWarning("node {Node}: voter change {Change} of node {Target} failed: {Reason}", LocalNode, decision.Change, decision.Node.Number, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), Stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task ApplyVoterDecisionAsync(RaftVoter raft, VoterDecision decision)
    {
        var node = decision.Node;
        var address = IPEndPoint.Parse(node.RaftAddress);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Stopping);
        cts.CancelAfter(TimeSpan.FromSeconds(15));
        if (decision.Change == VoterChange.Demote)
        {
            _log.LogWarning("node {Node}: voter node {Target} has no seat in the Raft group; making it a member until it is promoted again", LocalNode, node.Number);
            await CommitAsync(new MembershipCommand(CommandKind.SetVoter, DateTimeOffset.UtcNow, node.Number, Voter: false), cts.Token).ConfigureAwait(false);
            return;
        }
        if (decision.Change == VoterChange.Remove)
        {
            _log.LogInformation("node {Node}: removing dead voter node {Target} from the Raft group", LocalNode, node.Number);
            if (raft.Cluster.Members.Any(m => Equals(m.EndPoint, address))
                && !await raft.Cluster.RemoveMemberAsync(address, cts.Token).ConfigureAwait(false))
                throw new SsiException(Status.Unavailable, $"the Raft group did not remove node {node.Number}");
            await raft.WaitForSeatAsync(address, seated: false, cts.Token).ConfigureAwait(false);
            await CommitAsync(new MembershipCommand(CommandKind.SetVoter, DateTimeOffset.UtcNow, node.Number, Voter: false), cts.Token).ConfigureAwait(false);
            return;
        }

        _log.LogInformation("node {Node}: promoting node {Target} to voter", LocalNode, node.Number);
        await _ics.RequestAsync(node.Number, ClmsMethods.BecomeVoter,
            JsonSerializer.SerializeToUtf8Bytes(new BecomeVoterRequest(node.Number), MembershipJson.Default.BecomeVoterRequest),
            TimeSpan.FromSeconds(10), cts.Token).ConfigureAwait(false);
        if (!raft.Cluster.Members.Any(m => Equals(m.EndPoint, address))
            && !await raft.Cluster.AddMemberAsync(address, cts.Token).ConfigureAwait(false))
            throw new SsiException(Status.Unavailable, $"node {node.Number} did not catch up with the Raft log");
        await raft.WaitForSeatAsync(address, seated: true, cts.Token).ConfigureAwait(false);
        await CommitAsync(new MembershipCommand(CommandKind.SetVoter, DateTimeOffset.UtcNow, node.Number, Voter: true), cts.Token).ConfigureAwait(false);
    }

    private async ValueTask<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
