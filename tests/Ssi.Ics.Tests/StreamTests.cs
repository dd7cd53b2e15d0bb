using System.Security.Cryptography;
using Ssi.Protocol;

namespace Ssi.Ics.Tests;

public class StreamTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static Task EchoAsync(IcsStream stream, IncomingRequest _, CancellationToken ct) => Echo(stream, ct);

    private static async Task Echo(IcsStream stream, CancellationToken ct)
    {
        await stream.CopyToAsync(stream, ct);
        await stream.CompleteWritesAsync(ct);
    }

    [Fact]
    public async Task Bytes_come_back_identical_through_an_echo_stream()
    {
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapStream(Methods.EchoStream, EchoAsync));
        var data = RandomNumberGenerator.GetBytes(20 * 1024 * 1024 + 17);
        await using var stream = await nodes.A.OpenStreamAsync(2, Methods.EchoStream, default);

        var writing = Task.Run(async () =>
        {
            for (var at = 0; at < data.Length; at += 100_003)
                await stream.WriteAsync(data.AsMemory(at, Math.Min(100_003, data.Length - at)));
            await stream.CompleteWritesAsync();
        });
        using var back = new MemoryStream();
        await stream.CopyToAsync(back).WaitAsync(Generous);
        await writing;

        Assert.True(data.AsSpan().SequenceEqual(back.ToArray()));
    }

    [Fact]
    public async Task Concurrent_streams_and_requests_share_a_connection_without_mixing_bytes()
    {
        await using var nodes = await TwoNodes.StartAsync((_, b) => b
            .MapStream(Methods.EchoStream, EchoAsync)
            .MapRequest(Methods.Echo, (r, _) => ValueTask.FromResult(r.Payload)));

        var streams = Enumerable.Range(0, 4).Select(async i =>
        {
            var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + i * 7919);
            await using var stream = await nodes.A.OpenStreamAsync(2, Methods.EchoStream, default);
            var writing = Task.Run(async () =>
            {
                var at = 0;
                while (at < data.Length)
                {
                    var n = Math.Min(Random.Shared.Next(1, 2 * 1024 * 1024), data.Length - at);
                    await stream.WriteAsync(data.AsMemory(at, n));
                    at += n;
                }
                await stream.CompleteWritesAsync();
            });
            using var back = new MemoryStream();
            await stream.CopyToAsync(back).WaitAsync(Generous);
            await writing;
            return data.AsSpan().SequenceEqual(back.ToArray());
        }).ToList();
        var requests = Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
                Assert.Equal(BitConverter.GetBytes(i), await nodes.A.RequestAsync(2, Methods.Echo, BitConverter.GetBytes(i), Generous));
        });

        Assert.All(await Task.WhenAll(streams), Assert.True);
        await requests;
    }

    [Fact]
    public async Task A_slow_reader_holds_the_writer_back_to_the_window()
    {
        var reader = new TaskCompletionSource<IcsStream>();
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapStream(Methods.Sink, async (s, _, ct) =>
        {
            reader.SetResult(s);
            await Task.Delay(Timeout.Infinite, ct);
        }));
        await using var stream = await nodes.A.OpenStreamAsync(2, Methods.Sink, default);
        var written = 0L;
        var chunk = new byte[64 * 1024];

        var writer = Task.Run(async () =>
        {
            while (true)
            {
                await stream.WriteAsync(chunk);
                Interlocked.Add(ref written, chunk.Length);
            }
        });
        var stalledAt = await StalledAsync(() => Interlocked.Read(ref written));

        Assert.False(writer.IsCompleted);
        Assert.InRange(stalledAt, 1, IcsStream.Window);

        // Reading releases credit and the writer moves on.
        var remote = await reader.Task.WaitAsync(Generous);
        var buffer = new byte[IcsStream.Window];
        var drained = 0;
        while (drained < IcsStream.Window)
            drained += await remote.ReadAsync(buffer.AsMemory(drained));
        var deadline = DateTime.UtcNow + Generous;
        while (Interlocked.Read(ref written) <= stalledAt && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        Assert.True(Interlocked.Read(ref written) > stalledAt);
    }

    /// <summary>
    /// The count once it is above zero and has not moved for a while: a fixed wait fails on a
    /// loaded machine, where the writer may not have written its first chunk yet.
    /// </summary>
    private static async Task<long> StalledAsync(Func<long> count)
    {
        var deadline = DateTime.UtcNow + Generous;
        var last = count();
        var since = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            var now = count();
            if (now != last)
                (last, since) = (now, DateTime.UtcNow);
            else if (now > 0 && DateTime.UtcNow - since > TimeSpan.FromMilliseconds(300))
                break;
        }
        return last;
    }

    [Fact]
    public async Task A_server_that_completes_and_lets_go_before_the_client_completes_delivers_everything()
    {
        // The handler answers, completes and returns before the client's own end arrives, so its
        // stream is reset after the end: the client still reads every byte, then a clean end.
        var handled = new TaskCompletionSource();
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapStream(Methods.Sink, async (s, _, ct) =>
        {
            await s.WriteAsync("answer"u8.ToArray(), ct);
            await s.CompleteWritesAsync(ct);
            handled.SetResult();
        }));
        await using var stream = await nodes.A.OpenStreamAsync(2, Methods.Sink, default);
        await handled.Task.WaitAsync(Generous);
        await Task.Delay(200); // lets the reset that follows the handler's return arrive (the case under test)

        await stream.CompleteWritesAsync();
        using var back = new MemoryStream();
        await stream.CopyToAsync(back).WaitAsync(Generous);

        Assert.Equal("answer"u8.ToArray(), back.ToArray());
    }

    [Fact]
    public async Task Losing_the_connection_fails_reads_instead_of_hanging()
    {
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapStream(Methods.Sink, (_, _, ct) => Task.Delay(Timeout.Infinite, ct)));
        await using var stream = await nodes.A.OpenStreamAsync(2, Methods.Sink, default);

        var read = stream.ReadAsync(new byte[10]).AsTask();
        await nodes.B.DisposeAsync();

        await Assert.ThrowsAsync<IOException>(() => read.WaitAsync(Generous));
    }

    [Fact]
    public async Task A_stream_nobody_serves_is_reset()
    {
        await using var nodes = await TwoNodes.StartAsync();
        await using var stream = await nodes.A.OpenStreamAsync(2, 0x7777, default);

        await Assert.ThrowsAsync<IOException>(() => stream.ReadAsync(new byte[1]).AsTask().WaitAsync(Generous));
    }
}
