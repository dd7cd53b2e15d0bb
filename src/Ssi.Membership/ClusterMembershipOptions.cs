using System.Net;

namespace Ssi.Membership;

/// <summary>How a node takes part in cluster membership.</summary>
public sealed class ClusterMembershipOptions
{
    /// <summary>The node's state directory; membership keeps its Raft log under <c>clms/</c> in it.</summary>
    public required string StateDir { get; init; }

    /// <summary>The node's name: its identity in the cluster. A node that rejoins with the same name keeps its number.</summary>
    public required string NodeName { get; init; }

    /// <summary>Name given to a new cluster (only used with <see cref="Init"/>); default: the ICS credentials' cluster name.</summary>
    public string? ClusterName { get; init; }

    /// <summary>The ICS address other nodes reach this node at. When null, the ICS node's listen address is used.</summary>
    public IPEndPoint? IcsListen { get; init; }

    /// <summary>Address of this node's Raft endpoint (a port of its own, separate from ICS). Must stay the same across restarts.</summary>
    public required IPEndPoint RaftListen { get; init; }

    /// <summary>Form a new cluster with this node as its first member. Ignored when the state directory already holds a membership.</summary>
    public bool Init { get; init; }

    /// <summary>ICS address of any member, used to join. Not needed on restart: the state directory remembers the peers.</summary>
    public IPEndPoint? JoinSeed { get; init; }

    /// <summary>Most voters in the Raft group (fewer when the cluster is smaller; always odd).</summary>
    public int MaxVoters { get; init; } = 5;

    /// <summary>Interval between heartbeats.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Silence after which the master probes a node; if the probe fails too, the node is committed DOWN.</summary>
    public TimeSpan SuspectAfter { get; init; } = TimeSpan.FromMilliseconds(400);

    /// <summary>How long the master waits for the direct probe of a suspect.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromMilliseconds(150);

    /// <summary>Lower bound of the Raft election timeout.</summary>
    public TimeSpan ElectionTimeoutLower { get; init; } = TimeSpan.FromMilliseconds(150);

    /// <summary>Upper bound of the Raft election timeout.</summary>
    public TimeSpan ElectionTimeoutUpper { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>How long a membership change may take to commit before the node reports lost quorum.</summary>
    public TimeSpan CommitTimeout { get; init; } = TimeSpan.FromSeconds(3);
}
