using System.Buffers;
using System.Buffers.Binary;

namespace Ssi.Protocol;

/// <summary>Outcome of one decode step.</summary>
public enum DecodeStatus
{
    /// <summary>A whole frame was decoded.</summary>
    Frame,
    /// <summary>The buffer holds only part of a frame; read more.</summary>
    NeedMore,
    /// <summary>The bytes cannot be a frame; the connection must be closed.</summary>
    Malformed,
}

/// <summary>
/// Splits a byte sequence into frames. Pure and allocation-free: it never trusts the
/// length field beyond <see cref="MaxPayload"/>, so a hostile peer cannot make it buffer
/// without bound.
/// </summary>
public sealed class FrameDecoder(int maxPayload = FrameDecoder.DefaultMaxPayload)
{
    /// <summary>Default largest payload: large enough for stream chunks and listings.</summary>
    public const int DefaultMaxPayload = 4 * 1024 * 1024;

    /// <summary>Largest payload accepted.</summary>
    public int MaxPayload { get; } = maxPayload;

    /// <summary>
    /// Tries to take one frame from the front of <paramref name="buffer"/>. On
    /// <see cref="DecodeStatus.Frame"/>, <paramref name="payload"/> is a slice of the input and
    /// <paramref name="buffer"/> is advanced past the frame. On <see cref="DecodeStatus.Malformed"/>,
    /// <paramref name="reason"/> says why.
    /// </summary>
    public DecodeStatus TryDecode(ref ReadOnlySequence<byte> buffer, out FrameHeader header,
        out ReadOnlySequence<byte> payload, out string? reason)
    {
        header = default;
        payload = default;
        reason = null;
        if (buffer.Length < FrameHeader.Size)
        {
            // Validate what we can already see so that garbage is rejected without waiting.
            return buffer.Length >= 5 ? Precheck(buffer, out reason) : DecodeStatus.NeedMore;
        }

        Span<byte> raw = stackalloc byte[FrameHeader.Size];
        buffer.Slice(0, FrameHeader.Size).CopyTo(raw);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(raw);
        var kind = (FrameKind)raw[4];
        if (!Validate(length, kind, raw[5], out reason))
            return DecodeStatus.Malformed;

        var payloadLength = (int)(length - FrameHeader.LengthCovered);
        if (buffer.Length < FrameHeader.Size + payloadLength)
            return DecodeStatus.NeedMore;

        header = new FrameHeader(kind, BinaryPrimitives.ReadUInt16LittleEndian(raw[6..]),
            BinaryPrimitives.ReadUInt64LittleEndian(raw[8..]), payloadLength);
        payload = buffer.Slice(FrameHeader.Size, payloadLength);
        buffer = buffer.Slice(FrameHeader.Size + payloadLength);
        return DecodeStatus.Frame;
    }

    private DecodeStatus Precheck(ReadOnlySequence<byte> buffer, out string? reason)
    {
        Span<byte> raw = stackalloc byte[6];
        var seen = (int)Math.Min(buffer.Length, raw.Length);
        buffer.Slice(0, seen).CopyTo(raw);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(raw);
        var flags = seen > 5 ? raw[5] : (byte)0;
        return Validate(length, (FrameKind)raw[4], flags, out reason) ? DecodeStatus.NeedMore : DecodeStatus.Malformed;
    }

    private bool Validate(uint length, FrameKind kind, byte flags, out string? reason)
    {
        reason = null;
        if (length < FrameHeader.LengthCovered)
            reason = $"frame length {length} is shorter than the {FrameHeader.LengthCovered}-byte header";
        else if (length - FrameHeader.LengthCovered > (uint)MaxPayload)
            reason = $"frame payload of {length - FrameHeader.LengthCovered} bytes exceeds the limit of {MaxPayload}";
        else if (!FrameKinds.IsKnown(kind))
            reason = $"unknown frame kind {(byte)kind}";
        else if (flags != 0)
            reason = $"reserved flags set (0x{flags:x2})";
        return reason is null;
    }
}
