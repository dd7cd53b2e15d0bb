using System.Text;
using Ssi.Protocol;

namespace Ssi.Ics.Tests;

public class RequestTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_request_gets_its_own_answer_among_many_in_flight()
    {
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapRequest(Methods.Echo, async (r, ct) =>
        {
            await Task.Delay(Random.Shared.Next(0, 5), ct);
            return r.Payload;
        }));

        var answers = await Task.WhenAll(Enumerable.Range(0, 500).Select(async i =>
            Encoding.UTF8.GetString(await nodes.A.RequestAsync(2, Methods.Echo, Encoding.UTF8.GetBytes($"q{i}"), Generous))));

        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"q{i}"), answers);
    }

    [Fact]
    public async Task The_handler_sees_the_authenticated_node_number()
    {
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapRequest(Methods.Echo,
            (r, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes($"{r.Peer.Node}/{r.Peer.Name}"))));

        var answer = await nodes.A.RequestAsync(2, Methods.Echo, default, Generous);

        Assert.Equal("1/n1", Encoding.UTF8.GetString(answer));
    }

    [Fact]
    public async Task A_handler_error_reaches_the_caller_with_its_status()
    {
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapRequest(Methods.Echo,
            (_, _) => throw new SsiException(Status.NotFound, "no such thing")));

        var error = await Assert.ThrowsAsync<SsiException>(() => nodes.A.RequestAsync(2, Methods.Echo, default, Generous));

        Assert.Equal((Status.NotFound, "no such thing"), (error.Status, error.Message));
    }

    [Fact]
    public async Task An_unmapped_method_is_unimplemented_and_the_connection_stays_usable()
    {
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapRequest(Methods.Echo, (r, _) => ValueTask.FromResult(r.Payload)));

        var error = await Assert.ThrowsAsync<SsiException>(() => nodes.A.RequestAsync(2, 0x7777, default, Generous));
        var echo = await nodes.A.RequestAsync(2, Methods.Echo, new byte[] { 9 }, Generous);

        Assert.Equal(Status.Unimplemented, error.Status);
        Assert.Equal([9], echo);
    }

    [Fact]
    public async Task A_deadline_fails_the_call_and_cancels_the_handler()
    {
        var cancelled = new TaskCompletionSource();
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapRequest(Methods.Echo, async (r, ct) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled.SetResult();
                throw;
            }
            return r.Payload;
        }));

        // Dial first: on a busy machine the first dial alone (crypto set-up included) can take
        // longer than the deadline, and the request would never reach the handler.
        await nodes.A.PingAsync(2, Generous);
        var error = await Assert.ThrowsAsync<SsiException>(() => nodes.A.RequestAsync(2, Methods.Echo, default, TimeSpan.FromMilliseconds(100)));

        Assert.Equal(Status.DeadlineExceeded, error.Status);
        await cancelled.Task.WaitAsync(Generous);
    }

    [Fact]
    public async Task One_way_messages_arrive_in_order()
    {
        var received = new List<int>();
        var all = new TaskCompletionSource();
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapOneWay(Methods.Echo, (_, _, payload) =>
        {
            lock (received)
            {
                received.Add(payload.Span[0]);
                if (received.Count == 100)
                    all.SetResult();
            }
        }));

        for (var i = 0; i < 100; i++)
            await nodes.A.SendAsync(2, Methods.Echo, new[] { (byte)i });

        await all.Task.WaitAsync(Generous);
        Assert.Equal(Enumerable.Range(0, 100), received);
    }

    [Fact]
    public async Task Calls_work_again_after_the_peer_restarts()
    {
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapRequest(Methods.Echo, (r, _) => ValueTask.FromResult(r.Payload)));
        await nodes.A.RequestAsync(2, Methods.Echo, new byte[] { 1 }, Generous);

        await nodes.RestartBAsync();
        var during = await Record.ExceptionAsync(() => nodes.A.RequestAsync(2, Methods.Echo, new byte[] { 2 }, Generous));
        var after = await nodes.A.RequestAsync(2, Methods.Echo, new byte[] { 3 }, Generous);

        // The first call may fail with Unavailable if it raced the old connection's close; never with anything else.
        Assert.True(during is null or SsiException { Status: Status.Unavailable }, during?.ToString());
        Assert.Equal([3], after);
    }

    [Fact]
    public async Task A_dead_peer_is_reported_unavailable_quickly()
    {
        await using var nodes = await TwoNodes.StartAsync();
        await nodes.B.DisposeAsync();

        var error = await Assert.ThrowsAsync<SsiException>(() => nodes.A.RequestAsync(2, Methods.Echo, default, Generous));

        Assert.Equal(Status.Unavailable, error.Status);
        Assert.Contains("node 2", error.Message);
    }

    [Fact]
    public async Task Ping_measures_a_round_trip()
    {
        await using var nodes = await TwoNodes.StartAsync();

        var rtt = await nodes.A.PingAsync(2, Generous);

        Assert.True(rtt > TimeSpan.Zero);
    }
}
