using System.Buffers.Binary;

namespace Ssi.Cfs.Wire;

/// <summary>Little-endian reader of a CFS message; a truncated message throws <see cref="InvalidDataException"/>.</summary>
internal struct CfsReader(ReadOnlyMemory<byte> message)
{
    private readonly ReadOnlyMemory<byte> _message = message;
    private int _position;

    public readonly int Remaining => _message.Length - _position;

    public byte U8() => Take(1).Span[0];

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4).Span);

    public int I32() => (int)U32();

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8).Span);

    public long I64() => (long)U64();

    public ReadOnlyMemory<byte> Bytes()
    {
        uint length = U32();
        if (length > (uint)Remaining)
            throw new InvalidDataException($"CFS message field of {length} bytes, {Remaining} left");
        return Take((int)length);
    }

    /// <summary>Everything left.</summary>
    public ReadOnlyMemory<byte> Rest() => Take(Remaining);

    private ReadOnlyMemory<byte> Take(int count)
    {
        if (count > Remaining)
            throw new InvalidDataException($"truncated CFS message ({_message.Length} bytes)");
        var slice = _message.Slice(_position, count);
        _position += count;
        return slice;
    }
}
