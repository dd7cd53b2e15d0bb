using System.Text.Json.Serialization;

namespace Ssi.Protocol;

/// <summary>Node states as in OpenSSI's CLMS.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NodeState>))]
public enum NodeState
{
    /// <summary>Known to the cluster but not yet admitted.</summary>
    ComingUp,
    /// <summary>A full, live member.</summary>
    Up,
    /// <summary>Leaving on purpose (shutdown).</summary>
    GoingDown,
    /// <summary>Declared dead (failed, cut off, or left).</summary>
    Down,
}

/// <summary>A node's part in the Raft group.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NodeRole>))]
public enum NodeRole
{
    /// <summary>Votes in the Raft group and is its leader: the CLMS master.</summary>
    Master,
    /// <summary>Votes in the Raft group.</summary>
    Voter,
    /// <summary>A full member that does not vote.</summary>
    Member,
}

/// <summary>One row of <c>ssi nodes</c>.</summary>
public sealed record NodeInfo(
    int Number,
    string Name,
    string Address,
    NodeState State,
    NodeRole Role,
    DateTimeOffset? UpSince,
    double? Load);

/// <summary>Reply to <see cref="Methods.Nodes"/>.</summary>
public sealed record NodeList(IReadOnlyList<NodeInfo> Nodes);

/// <summary>Reply to <see cref="Methods.Cluster"/>.</summary>
public sealed record ClusterInfo(
    string Name,
    string Id,
    bool HasQuorum,
    int? Master,
    long Epoch,
    int Members,
    int Up,
    int Voters,
    int LocalNode);

/// <summary>A node changed state; <see cref="Epoch"/> orders events clusterwide.</summary>
public sealed record NodeEvent(long Epoch, int Node, string Name, NodeState From, NodeState To, DateTimeOffset Time, string Reason);

/// <summary>Reply to <see cref="Methods.DaemonStatus"/>.</summary>
public sealed record DaemonStatus(int Node, string Name, string Cluster, string Version, DateTimeOffset StartedAt, int Pid);

/// <summary>Request for <see cref="Methods.Events"/>: events after <see cref="AfterEpoch"/>.</summary>
public sealed record EventsRequest(long AfterEpoch, bool Follow);

/// <summary>Request for <see cref="Methods.Forward"/>: run <see cref="Method"/> on node <see cref="Node"/>.</summary>
public sealed record ForwardRequest(int Node, ushort Method, byte[] Payload);

/// <summary>Source-generated JSON for every contract (NativeAOT needs no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(NodeInfo))]
[JsonSerializable(typeof(NodeList))]
[JsonSerializable(typeof(ClusterInfo))]
[JsonSerializable(typeof(NodeEvent))]
[JsonSerializable(typeof(DaemonStatus))]
[JsonSerializable(typeof(EventsRequest))]
[JsonSerializable(typeof(ForwardRequest))]
public sealed partial class ContractsJson : JsonSerializerContext;
