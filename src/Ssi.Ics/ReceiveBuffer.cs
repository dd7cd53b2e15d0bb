using System.Buffers;

namespace Ssi.Ics;

/// <summary>
/// A pooled buffer the receive loop reads into, shared by reference count with the streams
/// whose data it holds: stream bytes go to their reader without a copy, and the buffer returns
/// to the pool when the last of them is consumed.
/// </summary>
internal sealed class ReceiveBuffer
{
    private byte[]? _array;
    private int _references = 1;

    private ReceiveBuffer(int size) => _array = ArrayPool<byte>.Shared.Rent(size);

    public static ReceiveBuffer Rent(int size) => new(size);

    public byte[] Array => _array ?? throw new ObjectDisposedException(nameof(ReceiveBuffer));

    public int Capacity => Array.Length;

    /// <summary>True when nobody but the receive loop holds a part of this buffer.</summary>
    public bool IsExclusive => Volatile.Read(ref _references) == 1;

    public ReceiveBuffer AddReference()
    {
        Interlocked.Increment(ref _references);
        return this;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0 && Interlocked.Exchange(ref _array, null) is { } array)
            ArrayPool<byte>.Shared.Return(array);
    }
}
