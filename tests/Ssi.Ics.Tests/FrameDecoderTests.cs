using System.Buffers;
using CsCheck;
using Ssi.Protocol;

namespace Ssi.Ics.Tests;

public class FrameDecoderTests
{
    private static byte[] Encode(FrameKind kind, ushort method, ulong id, byte[] payload)
    {
        var frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(kind, method, id, payload.Length).Write(frame);
        payload.CopyTo(frame, FrameHeader.Size);
        return frame;
    }

    [Fact]
    public void Decodes_a_frame_it_encoded()
    {
        var decoder = new FrameDecoder();
        var buffer = new ReadOnlySequence<byte>(Encode(FrameKind.Request, 0x0201, 42, [1, 2, 3]));

        Assert.Equal(DecodeStatus.Frame, decoder.TryDecode(ref buffer, out var header, out var payload, out _));
        Assert.Equal((FrameKind.Request, (ushort)0x0201, 42UL, 3), (header.Kind, header.Method, header.Id, header.PayloadLength));
        Assert.Equal([1, 2, 3], payload.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Rejects_a_length_over_the_limit_before_the_payload_arrives()
    {
        var decoder = new FrameDecoder(maxPayload: 1024);
        var header = new byte[FrameHeader.Size];
        new FrameHeader(FrameKind.Request, 1, 1, 1025).Write(header);
        var buffer = new ReadOnlySequence<byte>(header);

        Assert.Equal(DecodeStatus.Malformed, decoder.TryDecode(ref buffer, out _, out _, out var reason));
        Assert.Contains("exceeds the limit", reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public void Rejects_a_length_shorter_than_the_header(uint length)
    {
        var raw = new byte[FrameHeader.Size];
        BitConverter.TryWriteBytes(raw, length);
        raw[4] = (byte)FrameKind.Request;
        var buffer = new ReadOnlySequence<byte>(raw);

        Assert.Equal(DecodeStatus.Malformed, new FrameDecoder().TryDecode(ref buffer, out _, out _, out _));
    }

    [Fact]
    public void Rejects_unknown_kinds_and_reserved_flags()
    {
        var unknown = Encode(FrameKind.Request, 1, 1, []);
        unknown[4] = 200;
        var flagged = Encode(FrameKind.Request, 1, 1, []);
        flagged[5] = 1;

        foreach (var raw in new[] { unknown, flagged })
        {
            var buffer = new ReadOnlySequence<byte>(raw);
            Assert.Equal(DecodeStatus.Malformed, new FrameDecoder().TryDecode(ref buffer, out _, out _, out _));
        }
    }

    [Fact]
    public void A_truncated_frame_asks_for_more()
    {
        var frame = Encode(FrameKind.OneWay, 7, 0, new byte[100]);
        var buffer = new ReadOnlySequence<byte>(frame.AsMemory(0, 60));

        Assert.Equal(DecodeStatus.NeedMore, new FrameDecoder().TryDecode(ref buffer, out _, out _, out _));
        Assert.Equal(60, buffer.Length);
    }

    [Fact]
    public void Any_split_of_valid_frames_decodes_to_the_same_frames()
    {
        var frameGen = Gen.Select(Gen.Byte[(byte)FrameKind.Request, (byte)FrameKind.Cancel], Gen.UShort, Gen.ULong, Gen.Byte.Array[0, 300],
            (k, m, i, p) => (Kind: (FrameKind)k, Method: m, Id: i, Payload: p));
        Gen.Select(frameGen.List[1, 8], Gen.Int[1, 64]).Sample((frames, chunk) =>
        {
            var stream = frames.SelectMany(f => Encode(f.Kind, f.Method, f.Id, f.Payload)).ToArray();
            var decoder = new FrameDecoder();
            var pending = new List<byte>();
            var decoded = new List<(FrameKind, ushort, ulong, byte[])>();
            for (var at = 0; at < stream.Length; at += chunk)
            {
                pending.AddRange(stream.Skip(at).Take(chunk));
                var buffer = new ReadOnlySequence<byte>(pending.ToArray());
                while (decoder.TryDecode(ref buffer, out var h, out var p, out _) == DecodeStatus.Frame)
                    decoded.Add((h.Kind, h.Method, h.Id, p.ToArray()));
                pending = [.. buffer.ToArray()];
            }
            return decoded.Count == frames.Count && decoded.Zip(frames).All(x =>
                x.First.Item1 == x.Second.Kind && x.First.Item2 == x.Second.Method && x.First.Item3 == x.Second.Id &&
                x.First.Item4.AsSpan().SequenceEqual(x.Second.Payload));
        });
    }

    [Fact]
    public void Random_bytes_never_throw_and_never_claim_more_than_the_limit()
    {
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            var decoder = new FrameDecoder(maxPayload: 64);
            var buffer = new ReadOnlySequence<byte>(bytes);
            while (true)
            {
                var status = decoder.TryDecode(ref buffer, out var header, out _, out var reason);
                if (status == DecodeStatus.Malformed)
                    return reason is not null;
                if (status == DecodeStatus.NeedMore)
                    return true;
                if (header.PayloadLength > 64)
                    return false;
            }
        });
    }
}
