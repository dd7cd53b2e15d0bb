using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Ssi.Ics.Tests;

public class ClusterCertificateTests
{
    [Fact]
    public void Every_node_derives_the_same_identity_and_strangers_another()
    {
        var credentials = ClusterCredentials.Create("c");
        using var a = new ClusterCertificate(credentials);
        using var b = new ClusterCertificate(credentials with { });
        using var stranger = new ClusterCertificate(ClusterCredentials.Create("c"));

        Assert.True(a.IsClusterPeer(b.Certificate));
        Assert.False(a.IsClusterPeer(stranger.Certificate));
        Assert.False(a.IsClusterPeer(null));
    }

    [Fact]
    public async Task Mutual_tls_succeeds_between_members_and_fails_for_a_stranger()
    {
        var credentials = ClusterCredentials.Create("c");
        using var server = new ClusterCertificate(credentials);
        using var member = new ClusterCertificate(credentials);
        using var stranger = new ClusterCertificate(ClusterCredentials.Create("x"));

        Assert.True(await HandshakeAsync(server, member));
        Assert.False(await HandshakeAsync(server, stranger));
    }

    private static async Task<bool> HandshakeAsync(ClusterCertificate server, ClusterCertificate client)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accept = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            await using var tls = new SslStream(socket.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(server.ServerOptions());
                return true;
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                return false;
            }
        });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        await using var stream = new SslStream(tcp.GetStream());
        bool dialed;
        try
        {
            await stream.AuthenticateAsClientAsync(client.ClientOptions());
            dialed = true;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            dialed = false;
        }
        var accepted = await accept.WaitAsync(TimeSpan.FromSeconds(10));
        return dialed && accepted;
    }
}
