using System.Buffers.Binary;
using System.Text.Json.Serialization;
using Ssi.Protocol;

namespace Ssi.Membership;

/// <summary>Payload of <see cref="ClmsMethods.Join"/>.</summary>
internal sealed record JoinRequest(string Name, string IcsAddress, string RaftAddress);

/// <summary>Reply to <see cref="ClmsMethods.Join"/>: the node's number and the state it joined.</summary>
internal sealed record JoinReply(int Number, bool IsVoter, MembershipSnapshot State);

/// <summary>Payload of <see cref="ClmsMethods.Update"/>: the command that moved the state to <see cref="Epoch"/>.</summary>
internal sealed record CommittedUpdate(long Epoch, MembershipCommand Command);

/// <summary>Payload of <see cref="ClmsMethods.Leave"/>.</summary>
internal sealed record LeaveRequest(int Node, string Reason);

/// <summary>Payload of <see cref="ClmsMethods.BecomeVoter"/>.</summary>
internal sealed record BecomeVoterRequest(int Node);

/// <summary>
/// Payload of <see cref="ClmsMethods.Heartbeat"/>: 16 bytes, sent many times a second, so binary.
/// <code>i32 from, i64 epoch, i32 master (0 = none known; the sender's own number when it is the master)</code>
/// </summary>
internal readonly record struct Heartbeat(int From, long Epoch, int Master)
{
    public const int Size = 16;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, From);
        BinaryPrimitives.WriteInt64LittleEndian(destination[4..], Epoch);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], Master);
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out Heartbeat heartbeat)
    {
        heartbeat = default;
        if (source.Length < Size)
            return false;
        heartbeat = new Heartbeat(BinaryPrimitives.ReadInt32LittleEndian(source),
            BinaryPrimitives.ReadInt64LittleEndian(source[4..]), BinaryPrimitives.ReadInt32LittleEndian(source[12..]));
        return true;
    }
}

/// <summary>Locally persisted facts that let a restarted node find its cluster again.</summary>
internal sealed record LocalMembership(string ClusterId, int Number, IReadOnlyList<string> Peers);

/// <summary>Source-generated JSON for the membership log, snapshots and node-to-node messages.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MembershipCommand))]
[JsonSerializable(typeof(MembershipSnapshot))]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(JoinReply))]
[JsonSerializable(typeof(CommittedUpdate))]
[JsonSerializable(typeof(LeaveRequest))]
[JsonSerializable(typeof(BecomeVoterRequest))]
[JsonSerializable(typeof(LocalMembership))]
[JsonSerializable(typeof(NodeEvent))]
internal sealed partial class MembershipJson : JsonSerializerContext;
