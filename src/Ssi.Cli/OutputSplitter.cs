using System.Buffers.Binary;
using System.Text;
using Ssi.Vproc.Wire;

namespace Ssi.Cli;

/// <summary>Where program output goes: descriptor 1 or 2 (a test captures it instead).</summary>
internal delegate void OutputWriter(int fd, ReadOnlySpan<byte> bytes);

/// <summary>
/// Cuts a run stream's bytes into <see cref="OutputFrames"/> as they arrive. Program output
/// goes straight to descriptor 1 or 2, however the stream's chunks fall; Started and Exit are
/// collected whole and stop the feed, so the session acts on them in order.
/// </summary>
internal sealed class OutputSplitter(bool tty, OutputWriter write)
{
    private readonly byte[] _header = new byte[OutputFrames.HeaderSize];
    private byte[] _payload = [];
    private int _headerFill;
    private int _payloadFill;
    private OutputKind _kind;
    private int _remaining = -1;

    /// <summary>Set when the Started frame has been read.</summary>
    public StartedInfo? Started { get; private set; }

    /// <summary>Set when the Taken frame has been read: which offered descriptors the daemon took over.</summary>
    public byte? Taken { get; private set; }

    /// <summary>Set when the Exit frame has been read: the end of the stream's meaning.</summary>
    public ExitInfo? Exit { get; private set; }

    /// <summary>
    /// Takes stream bytes; returns how many it used. It stops early right after a Taken, Started
    /// or Exit frame (check <see cref="Taken"/>, <see cref="Started"/> and <see cref="Exit"/>, then feed the rest).
    /// Throws <see cref="InvalidDataException"/> on a malformed frame.
    /// </summary>
    public int Feed(ReadOnlySpan<byte> bytes)
    {
        var used = 0;
        while (used < bytes.Length)
        {
            var rest = bytes[used..];
            if (_remaining < 0)
            {
                var take = Math.Min(OutputFrames.HeaderSize - _headerFill, rest.Length);
                rest[..take].CopyTo(_header.AsSpan(_headerFill));
                _headerFill += take;
                used += take;
                if (_headerFill < OutputFrames.HeaderSize)
                    break;
                Begin();
            }
            else
            {
                var chunk = rest[..Math.Min(_remaining, rest.Length)];
                used += chunk.Length;
                _remaining -= chunk.Length;
                if (_kind is OutputKind.Stdout or OutputKind.Stderr)
                    write(_kind == OutputKind.Stdout ? 1 : 2, chunk);
                else
                {
                    chunk.CopyTo(_payload.AsSpan(_payloadFill));
                    _payloadFill += chunk.Length;
                }
            }
            if (_remaining == 0 && Finish())
                break;
        }
        return used;
    }

    private void Begin()
    {
        _headerFill = 0;
        _kind = (OutputKind)_header[0];
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(1));
        if (length > OutputFrames.MaxPayload)
            throw new InvalidDataException($"output frame of {length} bytes is too large");
        _remaining = (int)length;
        _payloadFill = 0;
        if (_kind is not (OutputKind.Stdout or OutputKind.Stderr) && _payload.Length < _remaining)
            _payload = new byte[Math.Max(_remaining, 256)];
    }

    // True when the frame just completed is one the session must act on before reading on.
    private bool Finish()
    {
        _remaining = -1;
        var payload = _payload.AsSpan(0, _payloadFill);
        try
        {
            switch (_kind)
            {
                case OutputKind.Started:
                    Started = RunWire.ReadStarted(payload);
                    return true;
                case OutputKind.Exit:
                    Exit = RunWire.ReadExit(payload);
                    return true;
                case OutputKind.Taken:
                    Taken = payload.Length == 1 ? payload[0] : throw new InvalidDataException($"a Taken frame of {payload.Length} bytes");
                    return true;
                case OutputKind.Message:
                    write(2, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(payload) + (tty ? "\r\n" : "\n")));
                    return false;
                default:
                    return false;
            }
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }
}
