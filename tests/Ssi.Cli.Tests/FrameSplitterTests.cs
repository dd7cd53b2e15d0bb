using Ssi.Protocol;

namespace Ssi.Cli.Tests;

public class FrameSplitterTests
{
    private sealed class Recorder : IFrameSink
    {
        public List<(FrameKind Kind, ulong Id, byte[] Payload)> Frames { get; } = [];

        public void Frame(FrameKind kind, ushort method, ulong id, ReadOnlySpan<byte> payload)
        {
            // Stream data may arrive in pieces: join consecutive pieces of one stream.
            if (kind == FrameKind.StreamData && Frames.Count > 0 && Frames[^1].Kind == kind && Frames[^1].Id == id)
                Frames[^1] = (kind, id, [.. Frames[^1].Payload, .. payload.ToArray()]);
            else
                Frames.Add((kind, id, payload.ToArray()));
        }
    }

    private static byte[] Frame(FrameKind kind, ulong id, byte[] payload)
    {
        var frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(kind, 0x0301, id, payload.Length).Write(frame);
        payload.CopyTo(frame, FrameHeader.Size);
        return frame;
    }

    private static readonly byte[] Wire =
    [
        .. Frame(FrameKind.StreamData, 1, [.. Enumerable.Range(0, 300).Select(i => (byte)i)]),
        .. Frame(FrameKind.StreamCredit, 1, [0, 0, 16, 0]),
        .. Frame(FrameKind.Response, 7, []),
        .. Frame(FrameKind.Ping, 9, [1, 2, 3]),
        .. Frame(FrameKind.StreamEnd, 1, []),
    ];

    [Fact]
    public void Frames_come_out_the_same_however_the_reads_fall()
    {
        var whole = new Recorder();
        new FrameSplitter(whole).Feed(Wire);
        Assert.Equal([FrameKind.StreamData, FrameKind.StreamCredit, FrameKind.Response, FrameKind.Ping, FrameKind.StreamEnd], whole.Frames.Select(f => f.Kind));
        Assert.Equal(300, whole.Frames[0].Payload.Length);
        Assert.Equal([1, 2, 3], whole.Frames[3].Payload);
        Assert.Equal(9UL, whole.Frames[3].Id);

        foreach (var step in new[] { 1, 2, 3, 7, 16, 17, 100 })
        {
            var pieces = new Recorder();
            var splitter = new FrameSplitter(pieces);
            for (var at = 0; at < Wire.Length; at += step)
                splitter.Feed(Wire.AsSpan(at, Math.Min(step, Wire.Length - at)));
            Assert.Equal(whole.Frames.Count, pieces.Frames.Count);
            for (var i = 0; i < whole.Frames.Count; i++)
            {
                Assert.Equal(whole.Frames[i].Kind, pieces.Frames[i].Kind);
                Assert.Equal(whole.Frames[i].Payload, pieces.Frames[i].Payload);
            }
        }
    }

    [Theory]
    [InlineData(new byte[] { 3, 0, 0, 0, 2, 0, 0, 0 }, "out of range")]
    [InlineData(new byte[] { 12, 0, 0, 0, 99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "unknown kind")]
    [InlineData(new byte[] { 12, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "flags")]
    [InlineData(new byte[] { 13, 0, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "too large")]
    public void Malformed_frames_are_rejected(byte[] header, string why)
    {
        var bytes = new byte[FrameHeader.Size];
        header.CopyTo(bytes, 0);
        var e = Assert.Throws<InvalidDataException>(() => new FrameSplitter(new Recorder()).Feed(bytes));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }
}
