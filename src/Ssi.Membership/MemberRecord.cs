using Ssi.Protocol;

namespace Ssi.Membership;

/// <summary>One node as the replicated membership state knows it.</summary>
internal sealed record MemberRecord(
    int Number,
    string Name,
    string IcsAddress,
    string RaftAddress,
    NodeState State,
    bool IsVoter,
    DateTimeOffset? UpSince,
    DateTimeOffset ChangedAt);

/// <summary>The whole membership state at one epoch: what a snapshot carries.</summary>
internal sealed record MembershipSnapshot(
    string ClusterName,
    string ClusterId,
    long Epoch,
    int LastNumber,
    IReadOnlyList<MemberRecord> Members,
    IReadOnlyList<NodeEvent> RecentEvents);
