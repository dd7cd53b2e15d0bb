using System.Text;
using System.Text.Json;
using Ssi.Vproc.Wire;

namespace Ssi.Cli.Tests;

public class OutputSplitterTests
{
    private static byte[] Frame(OutputKind kind, byte[] payload)
    {
        var buffer = new byte[OutputFrames.HeaderSize + payload.Length];
        payload.CopyTo(buffer, OutputFrames.HeaderSize);
        return OutputFrames.Frame(buffer, kind, payload.Length).ToArray();
    }

    private static readonly byte[] Stream =
    [
        .. Frame(OutputKind.Started, JsonSerializer.SerializeToUtf8Bytes(new StartedInfo(1000007, 2), VprocJson.Default.StartedInfo)),
        .. Frame(OutputKind.Stdout, Encoding.ASCII.GetBytes("hello ")),
        .. Frame(OutputKind.Stderr, Encoding.ASCII.GetBytes("oops")),
        .. Frame(OutputKind.Stdout, []),
        .. Frame(OutputKind.Message, Encoding.ASCII.GetBytes("note")),
        .. Frame(OutputKind.Stdout, Encoding.ASCII.GetBytes("world")),
        .. Frame(OutputKind.Exit, JsonSerializer.SerializeToUtf8Bytes(new ExitInfo(137, 9, null), VprocJson.Default.ExitInfo)),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(11)]
    [InlineData(4096)]
    public void Output_and_status_come_out_the_same_however_the_chunks_fall(int step)
    {
        var written = new[] { new StringBuilder(), new StringBuilder(), new StringBuilder() };
        var splitter = new OutputSplitter(tty: false, (fd, bytes) => written[fd].Append(Encoding.ASCII.GetString(bytes)));
        var startedAfter = -1;
        for (var at = 0; at < Stream.Length && splitter.Exit is null;)
        {
            var chunk = Stream.AsSpan(at, Math.Min(step, Stream.Length - at));
            var used = 0;
            while (used < chunk.Length && splitter.Exit is null)
            {
                used += splitter.Feed(chunk[used..]);
                if (splitter.Started is not null && startedAfter < 0)
                    startedAfter = written[1].Length;
            }
            at += used;
        }
        Assert.Equal(0, startedAfter);
        Assert.Equal(1000007, splitter.Started!.Cpid);
        Assert.Equal(2, splitter.Started.Node);
        Assert.Equal("hello world", written[1].ToString());
        Assert.Equal("oopsnote\n", written[2].ToString());
        Assert.Equal(137, splitter.Exit!.Code);
        Assert.Equal(9, splitter.Exit.Signal);
    }

    [Fact]
    public void The_feed_stops_right_after_started_so_a_detached_run_can_return()
    {
        var splitter = new OutputSplitter(tty: false, (_, _) => Assert.Fail("nothing is written before Started is handled"));
        var used = splitter.Feed(Stream);
        Assert.NotNull(splitter.Started);
        Assert.True(used < Stream.Length);
    }

    [Fact]
    public void An_oversized_or_malformed_frame_is_rejected()
    {
        var huge = new byte[OutputFrames.HeaderSize];
        huge[0] = (byte)OutputKind.Stdout;
        BitConverter.TryWriteBytes(huge.AsSpan(1), OutputFrames.MaxPayload + 1);
        Assert.Throws<InvalidDataException>(() => new OutputSplitter(false, (_, _) => { }).Feed(huge));
        var bad = Frame(OutputKind.Exit, Encoding.ASCII.GetBytes("{not json"));
        Assert.Throws<InvalidDataException>(() => new OutputSplitter(false, (_, _) => { }).Feed(bad));
    }
}
