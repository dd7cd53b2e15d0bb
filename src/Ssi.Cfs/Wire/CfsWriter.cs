using System.Buffers;
using System.Buffers.Binary;

namespace Ssi.Cfs.Wire;

/// <summary>
/// Little-endian writer of a CFS message into a growable buffer. A writer from <see cref="Rent"/> takes its
/// buffer from the shared pool (write batches of megabytes: no large-object allocation per batch) and gives
/// it back at <see cref="Return"/>, once the message has been sent.
/// </summary>
internal sealed class CfsWriter
{
    private readonly bool _pooled;
    private byte[] _buffer;
    private int _written;

    public CfsWriter(int capacity = 256) => _buffer = new byte[Math.Max(capacity, 16)];

    private CfsWriter(byte[] buffer)
    {
        _buffer = buffer;
        _pooled = true;
    }

    /// <summary>A writer over a pooled buffer of at least <paramref name="capacity"/> bytes; call <see cref="Return"/> when done.</summary>
    public static CfsWriter Rent(int capacity) => new(ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 16)));

    public int Length => _written;

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _written);

    public byte[] ToArray() => _buffer.AsSpan(0, _written).ToArray();

    /// <summary>Gives a rented buffer back to the pool; the writer and its <see cref="Written"/> must not be used after.</summary>
    public void Return()
    {
        if (!_pooled)
            return;
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        ArrayPool<byte>.Shared.Return(buffer);
    }

    public CfsWriter U8(byte value)
    {
        Room(1)[0] = value;
        _written += 1;
        return this;
    }

    public CfsWriter U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(Room(4), value);
        _written += 4;
        return this;
    }

    public CfsWriter I32(int value) => U32((uint)value);

    public CfsWriter U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Room(8), value);
        _written += 8;
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
        bytes.CopyTo(Room(bytes.Length));
        _written += bytes.Length;
        return this;
    }

    private Span<byte> Room(int count)
    {
        if (_buffer.Length - _written < count)
            Grow(count);
        return _buffer.AsSpan(_written, count);
    }

    private void Grow(int count)
    {
        int size = Math.Max(_written + count, _buffer.Length * 2);
        var bigger = _pooled ? ArrayPool<byte>.Shared.Rent(size) : new byte[size];
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        if (_pooled)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
