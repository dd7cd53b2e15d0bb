using System.Text.Json.Serialization;
using Ssi.Protocol;

namespace Ssi.Membership;

/// <summary>What a committed membership command does. Stored in the Raft log: never renumber.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CommandKind>))]
internal enum CommandKind
{
    /// <summary>Names the cluster; the first entry of a new cluster.</summary>
    Init = 1,
    /// <summary>A node asks to be a member (first time or again); assigns or keeps its number, state COMINGUP.</summary>
    Join = 2,
    /// <summary>A node changes state (UP, GOINGDOWN, DOWN).</summary>
    SetState = 3,
    /// <summary>A node enters or leaves the Raft voter set.</summary>
    SetVoter = 4,
    /// <summary>Changes nothing but the epoch: measures what one commit costs.</summary>
    Probe = 5,
}

/// <summary>
/// One entry of the replicated membership log. Every field the apply step needs is in the
/// command (the time included), so that every node computes the same state from the same log.
/// </summary>
internal sealed record MembershipCommand(
    CommandKind Kind,
    DateTimeOffset Time,
    int Node = 0,
    string? Name = null,
    string? IcsAddress = null,
    string? RaftAddress = null,
    NodeState? To = null,
    bool? Voter = null,
    string? Reason = null,
    string? ClusterName = null,
    string? ClusterId = null);
