using System.Buffers;
using System.Buffers.Binary;

namespace Ssi.Cfs.Wire;

/// <summary>Little-endian writer of a CFS message into a growable buffer.</summary>
internal sealed class CfsWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public CfsWriter(int capacity = 256) => _buffer = new ArrayBufferWriter<byte>(capacity);

    public int Length => _buffer.WrittenCount;

    public ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public CfsWriter U8(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
        return this;
    }

    public CfsWriter U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public CfsWriter I32(int value) => U32((uint)value);

    public CfsWriter U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public CfsWriter I64(long value) => U64((ulong)value);

    /// <summary>A u32 length, then the bytes.</summary>
    public CfsWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        U32((uint)bytes.Length);
        return Raw(bytes);
    }

    /// <summary>The bytes without a length (last field of a message).</summary>
    public CfsWriter Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
        return this;
    }

    /// <summary>Reserves <paramref name="length"/> bytes to be filled in place (a read reply's data).</summary>
    public Memory<byte> Reserve(int length) => _buffer.GetMemory(length)[..length];

    public void Advance(int count) => _buffer.Advance(count);
}
