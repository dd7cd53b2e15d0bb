using System.Net.Sockets;
using Ssi.Protocol;

namespace Ssi.Ics.Tests;

public class AuthenticationTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_node_with_another_key_is_refused_both_ways()
    {
        var served = 0;
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapRequest(Methods.Echo, (r, _) =>
        {
            Interlocked.Increment(ref served);
            return ValueTask.FromResult(r.Payload);
        }));
        var impostorCredentials = nodes.Credentials with { Key = ClusterCredentials.Create("x").Key };
        await using var impostor = await nodes.StartNodeAsync(3, new Router(), impostorCredentials);
        impostor.SetPeer(2, nodes.B.ListenEndPoint);

        var error = await Assert.ThrowsAsync<SsiException>(() => impostor.RequestAsync(2, Methods.Echo, default, Generous));

        Assert.Equal(Status.PermissionDenied, error.Status);
        Assert.Equal(0, served);
        var deadline = DateTime.UtcNow + Generous;
        while (nodes.B.Counters.AuthFailures == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        Assert.Equal(1, nodes.B.Counters.AuthFailures);
    }

    [Fact]
    public async Task A_node_of_another_cluster_is_refused_with_a_reason()
    {
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapRequest(Methods.Echo, (r, _) => ValueTask.FromResult(r.Payload)));
        await using var stranger = await nodes.StartNodeAsync(3, new Router(), ClusterCredentials.Create("other"));
        stranger.SetPeer(2, nodes.B.ListenEndPoint);

        var error = await Assert.ThrowsAsync<SsiException>(() => stranger.RequestAsync(2, Methods.Echo, default, Generous));

        Assert.Equal(Status.PermissionDenied, error.Status);
        Assert.Contains("cluster", error.Message);
        Assert.Equal(1, nodes.B.Counters.AuthFailures);
    }

    [Fact]
    public async Task A_request_sent_without_a_handshake_is_never_served()
    {
        var served = 0;
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapRequest(Methods.Echo, (r, _) =>
        {
            Interlocked.Increment(ref served);
            return ValueTask.FromResult(r.Payload);
        }));
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await raw.ConnectAsync(nodes.B.ListenEndPoint);
        var frame = new byte[FrameHeader.Size + 1];
        new FrameHeader(FrameKind.Request, Methods.Echo, 1, 1).Write(frame);

        await raw.SendAsync(frame);
        var answer = new byte[256];
        var read = await raw.ReceiveAsync(answer).WaitAsync(Generous);

        // The daemon answers with a refusal (or just closes) and never runs the handler.
        Assert.True(read == 0 || (FrameKind)answer[4] == FrameKind.Error);
        Assert.Equal(0, served);
        Assert.Equal([1], await nodes.A.RequestAsync(2, Methods.Echo, new byte[] { 1 }, Generous));
    }

    [Fact]
    public void Credentials_survive_a_join_token_round_trip_and_a_damaged_token_is_explained()
    {
        var credentials = ClusterCredentials.Create("prod");

        var (back, seed) = ClusterCredentials.FromJoinToken(credentials.ToJoinToken("10.0.0.1:7100"));
        var damaged = Assert.Throws<SsiException>(() => ClusterCredentials.FromJoinToken("ssi1.not-base64!"));
        var foreign = Assert.Throws<SsiException>(() => ClusterCredentials.FromJoinToken("hello"));

        Assert.Equal((credentials.ClusterName, credentials.ClusterId, "10.0.0.1:7100"), (back.ClusterName, back.ClusterId, seed));
        Assert.Equal(credentials.Key, back.Key);
        Assert.Contains("damaged", damaged.Message);
        Assert.Contains("not a join token", foreign.Message);
        Assert.DoesNotContain(Convert.ToBase64String(credentials.Key), credentials.ToString());
    }

    [Fact]
    public void Saved_credentials_are_readable_by_root_only()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ssi-cred-{Guid.NewGuid():N}");
        try
        {
            ClusterCredentials.Create("c").Save(path);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal("c", ClusterCredentials.Load(path).ClusterName);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
