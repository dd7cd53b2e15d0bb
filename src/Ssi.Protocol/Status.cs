using System.Buffers.Binary;
using System.Text;

namespace Ssi.Protocol;

/// <summary>Why a request failed. On the wire as u16: never renumber.</summary>
public enum Status : ushort
{
    /// <summary>Success (never sent in an <see cref="ErrorReply"/>).</summary>
    Ok = 0,
    /// <summary>The request was malformed or its arguments invalid.</summary>
    InvalidArgument = 1,
    /// <summary>The named thing does not exist.</summary>
    NotFound = 2,
    /// <summary>The caller is not allowed to do this.</summary>
    PermissionDenied = 3,
    /// <summary>The peer or service is not reachable now; retrying later may work.</summary>
    Unavailable = 4,
    /// <summary>The deadline passed before an answer arrived.</summary>
    DeadlineExceeded = 5,
    /// <summary>No handler for this method on the peer.</summary>
    Unimplemented = 6,
    /// <summary>This node is in a minority partition and cannot change cluster state.</summary>
    NoQuorum = 7,
    /// <summary>The cluster is not formed yet (no leader, or this node has not joined).</summary>
    NotFormed = 8,
    /// <summary>The request was cancelled.</summary>
    Cancelled = 9,
    /// <summary>Something unexpected failed on the peer; its log says more.</summary>
    Internal = 10,
    /// <summary>The thing already exists.</summary>
    AlreadyExists = 11,
}

/// <summary>Payload of an <see cref="FrameKind.Error"/> frame: u16 status, then a UTF-8 message.</summary>
public readonly record struct ErrorReply(Status Status, string Message)
{
    /// <summary>Encodes this reply.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[2 + Encoding.UTF8.GetByteCount(Message)];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)Status);
        Encoding.UTF8.GetBytes(Message, bytes.AsSpan(2));
        return bytes;
    }

    /// <summary>Decodes a reply; a short payload decodes as <see cref="Status.Internal"/>.</summary>
    public static ErrorReply Decode(ReadOnlySpan<byte> payload) => payload.Length < 2
        ? new ErrorReply(Status.Internal, "malformed error reply")
        : new ErrorReply((Status)BinaryPrimitives.ReadUInt16LittleEndian(payload), Encoding.UTF8.GetString(payload[2..]));
}

/// <summary>A request failed with a <see cref="Status"/>; the message is meant for a person.</summary>
public sealed class SsiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SsiException(Status status, string message) : base(message) => Status = status;

    /// <summary>Creates the exception with the cause.</summary>
    public SsiException(Status status, string message, Exception inner) : base(message, inner) => Status = status;

    /// <summary>Why it failed.</summary>
    public Status Status { get; }
}
