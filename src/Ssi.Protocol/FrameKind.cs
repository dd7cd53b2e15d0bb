namespace Ssi.Protocol;

/// <summary>What a frame carries. The numbers are on the wire: never renumber.</summary>
public enum FrameKind : byte
{
    /// <summary>Handshake step; the only kind accepted before a connection is authenticated.</summary>
    Hello = 1,
    /// <summary>A request; <see cref="FrameHeader.Id"/> is the correlation id.</summary>
    Request = 2,
    /// <summary>A successful response to the request with the same id.</summary>
    Response = 3,
    /// <summary>A failed response: payload is an <see cref="ErrorReply"/>.</summary>
    Error = 4,
    /// <summary>A message that expects no answer.</summary>
    OneWay = 5,
    /// <summary>Opens a byte stream; <see cref="FrameHeader.Id"/> is the stream id, method names the service.</summary>
    StreamOpen = 6,
    /// <summary>Bytes of an open stream.</summary>
    StreamData = 7,
    /// <summary>The receiver grants more bytes to the sender (payload: u32 little-endian).</summary>
    StreamCredit = 8,
    /// <summary>The sender has no more bytes for this stream (half close).</summary>
    StreamEnd = 9,
    /// <summary>The stream is abandoned in both directions.</summary>
    StreamReset = 10,
    /// <summary>Liveness probe; answered with <see cref="Pong"/> carrying the same id and payload.</summary>
    Ping = 11,
    /// <summary>Answer to <see cref="Ping"/>.</summary>
    Pong = 12,
    /// <summary>Asks the peer to drop an outstanding request (its deadline passed or it was cancelled).</summary>
    Cancel = 13,
}

/// <summary>Helpers over <see cref="FrameKind"/>.</summary>
public static class FrameKinds
{
    /// <summary>The highest kind number this build understands.</summary>
    public const FrameKind Last = FrameKind.Cancel;

    /// <summary>True when <paramref name="kind"/> is a kind this build understands.</summary>
    public static bool IsKnown(FrameKind kind) => kind is >= FrameKind.Hello and <= Last;
}
