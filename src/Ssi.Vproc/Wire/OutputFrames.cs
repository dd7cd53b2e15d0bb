using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Ssi.Vproc.Wire;

/// <summary>Kinds of frames a run or attach stream carries toward the client.</summary>
public enum OutputKind : byte
{
    /// <summary>JSON <see cref="StartedInfo"/>: the process runs (always first).</summary>
    Started = 1,
    /// <summary>Bytes the program wrote to stdout (or to its pty).</summary>
    Stdout = 2,
    /// <summary>Bytes the program wrote to stderr.</summary>
    Stderr = 3,
    /// <summary>JSON <see cref="ExitInfo"/>: the process ended (always last).</summary>
    Exit = 4,
    /// <summary>UTF-8 message for the person at the client (why it could not start, a warning).</summary>
    Message = 5,
    /// <summary>One byte: which of the descriptors the client offered the origin took (<see cref="RunRequest.Stdio"/> bits); before Started, only after an offer.</summary>
    Taken = 6,
}

/// <summary>
/// Framing of the client-bound direction of a run stream: u8 kind, u32 little-endian length,
/// payload. The other direction is the raw bytes of stdin, ended by the stream's half-close.
/// </summary>
public static class OutputFrames
{
    /// <summary>Header size.</summary>
    public const int HeaderSize = 5;

    /// <summary>Largest payload accepted.</summary>
    public const int MaxPayload = 1 << 20;

    /// <summary>Writes one frame in one write (callers serialise concurrent writers).</summary>
    public static async ValueTask WriteAsync(Stream stream, OutputKind kind, ReadOnlyMemory<byte> payload, CancellationToken ct = default)
    {
        var frame = ArrayPool<byte>.Shared.Rent(HeaderSize + payload.Length);
        try
        {
            payload.Span.CopyTo(frame.AsSpan(HeaderSize));
            await stream.WriteAsync(Frame(frame, kind, payload.Length), ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>
    /// Writes the header in front of a payload already placed at <see cref="HeaderSize"/> in
    /// <paramref name="buffer"/>, and returns the whole frame: bulk output is framed without a copy.
    /// </summary>
    public static ReadOnlyMemory<byte> Frame(byte[] buffer, OutputKind kind, int payloadLength)
    {
        buffer[0] = (byte)kind;
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(1), (uint)payloadLength);
        return buffer.AsMemory(0, HeaderSize + payloadLength);
    }

    /// <summary>Encodes a JSON frame payload.</summary>
    public static byte[] Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.SerializeToUtf8Bytes(value, type);

    /// <summary>Encodes a message frame payload.</summary>
    public static byte[] Text(string message) => Encoding.UTF8.GetBytes(message);
}

/// <summary>Reads output frames from a stream into a reusable pooled buffer.</summary>
public sealed class OutputFrameReader(Stream stream) : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
    private int _length;

    /// <summary>The last frame read, header included (to pass it on unchanged).</summary>
    public ReadOnlyMemory<byte> Raw => _buffer.AsMemory(0, _length);

    /// <summary>The next frame, or null at a clean end of stream; the payload is valid until the next call.</summary>
    /// <exception cref="IOException">The stream broke or ended inside a frame.</exception>
    public async ValueTask<(OutputKind Kind, ReadOnlyMemory<byte> Payload)?> ReadAsync(CancellationToken ct = default)
    {
        _length = 0;
        var got = await FillAsync(_buffer.AsMemory(0, OutputFrames.HeaderSize), ct).ConfigureAwait(false);
        if (got == 0)
            return null;
        if (got < OutputFrames.HeaderSize)
            throw new IOException("the stream ended inside a frame header");
        var kind = (OutputKind)_buffer[0];
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(1));
        if (length > OutputFrames.MaxPayload)
            throw new IOException($"output frame of {length} bytes is too large");
        if (_buffer.Length < OutputFrames.HeaderSize + length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(OutputFrames.HeaderSize + length);
            _buffer.AsSpan(0, OutputFrames.HeaderSize).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        if (await FillAsync(_buffer.AsMemory(OutputFrames.HeaderSize, length), ct).ConfigureAwait(false) < length)
            throw new IOException("the stream ended inside a frame");
        _length = OutputFrames.HeaderSize + length;
        return (kind, _buffer.AsMemory(OutputFrames.HeaderSize, length));
    }

    private async ValueTask<int> FillAsync(Memory<byte> target, CancellationToken ct)
    {
        int total = 0;
        while (total < target.Length)
        {
            var n = await stream.ReadAsync(target[total..], ct).ConfigureAwait(false);
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
