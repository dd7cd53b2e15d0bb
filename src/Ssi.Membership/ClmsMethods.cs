using Ssi.Protocol;

namespace Ssi.Membership;

/// <summary>
/// Node-to-node CLMS methods, inside <see cref="Methods.ClmsFirst"/>..<see cref="Methods.ClmsLast"/>.
/// The numbers are on the wire: never renumber, only add.
/// </summary>
internal static class ClmsMethods
{
    /// <summary>Request: a node asks to join (or rejoin). <see cref="JoinRequest"/> → <see cref="JoinReply"/>. Forwarded to the master.</summary>
    public const ushort Join = Methods.ClmsFirst + 0x01;
    /// <summary>One-way: "I am alive" (<see cref="Heartbeat"/>, binary).</summary>
    public const ushort Heartbeat = Methods.ClmsFirst + 0x02;
    /// <summary>One-way: the master pushes one committed command (<see cref="CommittedUpdate"/>).</summary>
    public const ushort Update = Methods.ClmsFirst + 0x03;
    /// <summary>Request: the sender's whole membership state (<see cref="MembershipSnapshot"/>).</summary>
    public const ushort GetSnapshot = Methods.ClmsFirst + 0x04;
    /// <summary>Request: direct liveness probe before a node is declared DOWN; empty reply.</summary>
    public const ushort Probe = Methods.ClmsFirst + 0x05;
    /// <summary>Request from the master: start a fresh Raft instance, you are about to become a voter.</summary>
    public const ushort BecomeVoter = Methods.ClmsFirst + 0x06;
    /// <summary>Request: a node leaves on purpose (<see cref="LeaveRequest"/>). Forwarded to the master.</summary>
    public const ushort Leave = Methods.ClmsFirst + 0x07;
    /// <summary>Request: the master commits a probe entry and replies with its commit time (i64 ticks). Forwarded to the master.</summary>
    public const ushort CommitProbe = Methods.ClmsFirst + 0x08;
}
