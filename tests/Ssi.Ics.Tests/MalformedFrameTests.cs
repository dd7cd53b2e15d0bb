using System.Net.Sockets;
using Ssi.Protocol;

namespace Ssi.Ics.Tests;

/// <summary>An authenticated peer that sends garbage loses its connection; the node stays up.</summary>
public class MalformedFrameTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    public static TheoryData<string, byte[]> Garbage => new()
    {
        { "oversized", Header(FrameKind.Request, uint.MaxValue) },
        { "short length", Header(FrameKind.Request, 3) },
        { "unknown kind", Header((FrameKind)99, 12) },
        { "hello after handshake", Header(FrameKind.Hello, 12) },
        { "bad credit frame", Header(FrameKind.StreamCredit, 13).Concat(new byte[] { 1 }).ToArray() },
    };

    private static byte[] Header(FrameKind kind, uint length)
    {
        var header = new byte[FrameHeader.Size];
        BitConverter.TryWriteBytes(header, length);
        header[4] = (byte)kind;
        return header;
    }

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task Garbage_closes_only_that_connection_and_is_counted(string what, byte[] bytes)
    {
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapRequest(Methods.Echo, (r, _) => ValueTask.FromResult(r.Payload)));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(nodes.B.ListenEndPoint);
        await Handshake.AsClientAsync(socket, nodes.Credentials, 9, "rogue", CancellationToken.None);

        await socket.SendAsync(bytes);
        var read = await socket.ReceiveAsync(new byte[64]).WaitAsync(Generous);

        Assert.Equal(0, read); // closed by the node
        Assert.True(nodes.B.Counters.MalformedFrames == 1, what);
        Assert.Equal([5], await nodes.A.RequestAsync(2, Methods.Echo, new byte[] { 5 }, Generous));
    }

    [Fact]
    public async Task A_connection_cut_inside_a_frame_is_counted_as_truncated()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(nodes.B.ListenEndPoint);
        await Handshake.AsClientAsync(socket, nodes.Credentials, 9, "rogue", CancellationToken.None);
        var frame = new byte[FrameHeader.Size + 10];
        new FrameHeader(FrameKind.OneWay, 1, 0, 100).Write(frame);

        await socket.SendAsync(frame);
        socket.Shutdown(SocketShutdown.Send);
        await socket.ReceiveAsync(new byte[1]).WaitAsync(Generous);
        socket.Dispose();

        await WaitUntil(() => nodes.B.Counters.TruncatedFrames == 1);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
