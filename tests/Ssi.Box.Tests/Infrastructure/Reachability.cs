using System.Net;
using System.Net.Sockets;

namespace Ssi.Box.Tests.Infrastructure;

/// <summary>TCP reachability between two nodes, with sockets made inside their namespaces.</summary>
internal static class Reachability
{
    public static readonly TimeSpan Reachable = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan Unreachable = TimeSpan.FromMilliseconds(700);

    /// <summary>True when a TCP connection from <paramref name="from"/> to <paramref name="to"/> is set up within <paramref name="timeout"/>.</summary>
    public static async Task<bool> CanConnectAsync(BoxNode from, BoxNode to, TimeSpan timeout)
    {
        using var listener = to.CreateSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(to.Address, 0));
        listener.Listen();
        using var client = from.CreateSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await client.ConnectAsync(listener.LocalEndPoint!, cts.Token);
            using var accepted = await listener.AcceptAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
