using System.Net;
using System.Text.Json;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;
using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Membership;

/// <summary>
/// This node's seat in the Raft group: a DotNext <see cref="RaftCluster"/> over its own TCP
/// transport, with a <see cref="WriteAheadLog"/> and the voter set in the state directory.
/// Only voters have one; members that do not vote never start Raft.
/// </summary>
internal sealed class RaftVoter : IAsyncDisposable
{
    private readonly RaftStateMachine _machine;
    private readonly WriteAheadLog _log;
    private readonly RaftAddressStorage _addresses;

    private RaftVoter(RaftStateMachine machine, WriteAheadLog log, RaftAddressStorage addresses, RaftCluster cluster, string directory)
    {
        _machine = machine;
        _log = log;
        _addresses = addresses;
        Cluster = cluster;
        Directory = directory;
    }

    /// <summary>The DotNext Raft node.</summary>
    public RaftCluster Cluster { get; }

    /// <summary>Where the WAL, snapshots and voter set live.</summary>
    public string Directory { get; }

    /// <summary>True when a Raft directory with a voter set exists (this node was a voter before).</summary>
    public static bool HasState(string directory) => File.Exists(Path.Combine(directory, "voters"));

    /// <summary>
    /// Starts Raft. <paramref name="coldStart"/> only for the first node of a new cluster: it
    /// makes itself the only voter. Every other voter starts empty and is added by the leader.
    /// </summary>
    public static async Task<RaftVoter> StartAsync(string directory, IPEndPoint endPoint, bool coldStart,
        ClusterMembershipOptions options, MembershipReplica replica, ClusterCertificate certificate, ILoggerFactory logs, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(directory);
        var machine = new RaftStateMachine(new DirectoryInfo(Path.Combine(directory, "snapshots")), replica);
        await machine.RestoreAsync(ct).ConfigureAwait(false);
        var log = new WriteAheadLog(new WriteAheadLog.Options { Location = Path.Combine(directory, "wal") }, machine);
        var addresses = new RaftAddressStorage(Path.Combine(directory, "voters"));
        var config = new RaftCluster.TcpConfiguration(endPoint)
        {
            LowerElectionTimeout = (int)options.ElectionTimeoutLower.TotalMilliseconds,
            UpperElectionTimeout = (int)options.ElectionTimeoutUpper.TotalMilliseconds,
            RequestTimeout = options.ElectionTimeoutLower,
            ColdStart = coldStart,
            ConfigurationStorage = addresses,
            LoggerFactory = logs,
            // Mutual TLS with the identity derived from the cluster key: only members speak Raft.
            SslOptions = new DotNext.Net.Security.SslOptions
            {
                ServerOptions = certificate.ServerOptions(),
                ClientOptions = certificate.ClientOptions(),
            },
        };
        var cluster = new RaftCluster(config) { AuditTrail = log };
        try
        {
            await cluster.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await StopAsync(cluster, log, machine, addresses).ConfigureAwait(false);
            throw;
        }
        return new RaftVoter(machine, log, addresses, cluster, directory);
    }

    /// <summary>True when this node is the Raft leader and has committed in its term.</summary>
    public bool IsLeader
    {
        get
        {
            try
            {
                return !Cluster.LeadershipToken.IsCancellationRequested;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <summary>True when this node sees a leader and is part of its majority.</summary>
    public bool HasConsensus
    {
        get
        {
            try
            {
                return Cluster.Leader is not null && !Cluster.ConsensusToken.IsCancellationRequested;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <summary>The leader's Raft address, as "ip:port", or null when there is none.</summary>
    public string? LeaderAddress => Cluster.Leader?.EndPoint.ToString();

    /// <summary>Number of voters in the Raft configuration as this node sees it.</summary>
    public int VoterCount => Cluster.Members.Count;

    /// <summary>True when <paramref name="address"/> has a seat in this node's view of the Raft configuration.</summary>
    public bool HasSeat(EndPoint address) => Cluster.Members.Any(m => Equals(m.EndPoint, address));

    /// <summary>
    /// Waits until this node's member list shows <paramref name="address"/> seated (or not). DotNext's
    /// <c>AddMemberAsync</c>/<c>RemoveMemberAsync</c> return once the configuration is committed, but
    /// <c>RaftCluster.Members</c> follows a little later, from a background loop; the voter
    /// policy reads the seats from there, so a voter flag committed before would look unseated.
    /// </summary>
    public async Task WaitForSeatAsync(EndPoint address, bool seated, CancellationToken ct)
    {
        while (HasSeat(address) != seated)
            await Task.Delay(10, ct).ConfigureAwait(false);
    }

    /// <summary>Replicates <paramref name="command"/> and waits until it is committed and applied here.</summary>
    /// <exception cref="SsiException">Not the leader (<see cref="Status.Unavailable"/>) or no quorum in time (<see cref="Status.NoQuorum"/>).</exception>
    public async Task ReplicateAsync(MembershipCommand command, TimeSpan timeout, CancellationToken ct)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(command, MembershipJson.Default.MembershipCommand);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await Cluster.ReplicateAsync(bytes, null, cts.Token).ConfigureAwait(false);
        }
        catch (NotLeaderException e)
        {
            throw new SsiException(Status.Unavailable, "this node is not (or no longer) the CLMS master", e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new SsiException(Status.NoQuorum, $"a membership change was not committed within {timeout.TotalMilliseconds:F0} ms: the Raft group has no quorum", e);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(Cluster, _log, _machine, _addresses).ConfigureAwait(false);

    private static async Task StopAsync(RaftCluster cluster, WriteAheadLog log, RaftStateMachine machine, RaftAddressStorage addresses)
    {
        try
        {
            await cluster.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            cluster.Dispose();
            await log.DisposeAsync().ConfigureAwait(false);
            await machine.DisposeAsync().ConfigureAwait(false);
            addresses.Dispose();
        }
    }
}
