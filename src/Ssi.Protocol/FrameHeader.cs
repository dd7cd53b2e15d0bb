using System.Buffers.Binary;

namespace Ssi.Protocol;

/// <summary>
/// The 16-byte header in front of every frame, node-to-node and CLI-to-daemon alike.
/// <code>
/// u32 length   bytes after this field (12 + payload), little-endian
/// u8  kind     <see cref="FrameKind"/>
/// u8  flags    reserved, must be 0
/// u16 method   which service and operation (<see cref="Methods"/>)
/// u64 id       correlation id (requests) or stream id (streams)
/// </code>
/// </summary>
public readonly record struct FrameHeader(FrameKind Kind, ushort Method, ulong Id, int PayloadLength)
{
    /// <summary>Size of the header on the wire.</summary>
    public const int Size = 16;

    /// <summary>Bytes counted by the length field besides the payload.</summary>
    public const int LengthCovered = Size - 4;

    /// <summary>Writes this header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)(PayloadLength + LengthCovered));
        destination[4] = (byte)Kind;
        destination[5] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], Method);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Id);
    }
}
