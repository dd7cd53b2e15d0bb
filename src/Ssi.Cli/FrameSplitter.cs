using System.Buffers.Binary;
using Ssi.Protocol;

namespace Ssi.Cli;

/// <summary>What <see cref="FrameSplitter"/> hands on.</summary>
internal interface IFrameSink
{
    /// <summary>
    /// Bytes of a frame's payload. Stream data is passed on as it arrives, piece by piece (a
    /// 256 KiB frame needs no 256 KiB buffer); every other kind arrives whole, in one call.
    /// </summary>
    void Frame(FrameKind kind, ushort method, ulong id, ReadOnlySpan<byte> payload);
}

/// <summary>
/// Cuts the bytes read from the daemon into frames (<see cref="FrameHeader"/>), however the
/// reads fall. Rejects what a daemon never sends: a bad length, an unknown kind, flags.
/// </summary>
internal sealed class FrameSplitter(IFrameSink sink)
{
    // Control frames (replies, pings) are small; a bigger one is not from a daemon.
    private const int MaxControlPayload = 64 * 1024;
    private readonly byte[] _header = new byte[FrameHeader.Size];
    private byte[] _control = [];
    private int _headerFill;
    private int _controlFill;
    private FrameKind _kind;
    private ushort _method;
    private ulong _id;
    private int _remaining = -1;

    /// <summary>Takes the next bytes read; throws <see cref="InvalidDataException"/> on a malformed frame.</summary>
    public void Feed(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_remaining < 0)
            {
                var take = Math.Min(FrameHeader.Size - _headerFill, bytes.Length);
                bytes[..take].CopyTo(_header.AsSpan(_headerFill));
                _headerFill += take;
                bytes = bytes[take..];
                if (_headerFill < FrameHeader.Size)
                    return;
                Begin();
                if (_remaining == 0)
                    Finish(ReadOnlySpan<byte>.Empty);
                continue;
            }
            var chunk = bytes[..Math.Min(_remaining, bytes.Length)];
            bytes = bytes[chunk.Length..];
            _remaining -= chunk.Length;
            if (_kind == FrameKind.StreamData)
            {
                sink.Frame(_kind, _method, _id, chunk);
                if (_remaining == 0)
                    _remaining = -1;
                continue;
            }
            chunk.CopyTo(_control.AsSpan(_controlFill));
            _controlFill += chunk.Length;
            if (_remaining == 0)
                Finish(_control.AsSpan(0, _controlFill));
        }
    }

    private void Begin()
    {
        _headerFill = 0;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_header);
        _kind = (FrameKind)_header[4];
        _method = BinaryPrimitives.ReadUInt16LittleEndian(_header.AsSpan(6));
        _id = BinaryPrimitives.ReadUInt64LittleEndian(_header.AsSpan(8));
        if (length < FrameHeader.LengthCovered || length - FrameHeader.LengthCovered > FrameDecoder.DefaultMaxPayload)
            throw new InvalidDataException($"frame length {length} is out of range");
        if (!FrameKinds.IsKnown(_kind) || _header[5] != 0)
            throw new InvalidDataException($"frame of unknown kind {(byte)_kind} or flags {_header[5]}");
        _remaining = (int)(length - FrameHeader.LengthCovered);
        if (_kind == FrameKind.StreamData)
            return;
        if (_remaining > MaxControlPayload)
            throw new InvalidDataException($"{_kind} frame of {_remaining} bytes is too large");
        if (_control.Length < _remaining)
            _control = new byte[Math.Max(_remaining, 256)];
        _controlFill = 0;
    }

    private void Finish(ReadOnlySpan<byte> payload)
    {
        _remaining = -1;
        // A zero-length data frame carries nothing; every other kind is handed on whole.
        if (_kind != FrameKind.StreamData)
            sink.Frame(_kind, _method, _id, payload);
    }
}
