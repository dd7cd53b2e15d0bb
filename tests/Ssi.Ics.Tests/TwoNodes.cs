using System.Net;

namespace Ssi.Ics.Tests;

/// <summary>Two authenticated ICS nodes on loopback, with their own routers.</summary>
internal sealed class TwoNodes : IAsyncDisposable
{
    public Router RouterA { get; } = new();
    public Router RouterB { get; } = new();
    public IcsNode A { get; private set; } = null!;
    public IcsNode B { get; private set; } = null!;
    public ClusterCredentials Credentials { get; } = ClusterCredentials.Create("test");

    public static async Task<TwoNodes> StartAsync(Action<Router, Router>? map = null)
    {
        var nodes = new TwoNodes();
        map?.Invoke(nodes.RouterA, nodes.RouterB);
        nodes.A = await nodes.StartNodeAsync(1, nodes.RouterA);
        nodes.B = await nodes.StartNodeAsync(2, nodes.RouterB);
        nodes.A.SetPeer(2, nodes.B.ListenEndPoint);
        nodes.B.SetPeer(1, nodes.A.ListenEndPoint);
        return nodes;
    }

    public async Task<IcsNode> StartNodeAsync(int number, Router router, ClusterCredentials? credentials = null, IPEndPoint? listen = null)
    {
        var node = new IcsNode(new IcsOptions
        {
            Credentials = credentials ?? Credentials,
            NodeName = $"n{number}",
            Listen = listen ?? new IPEndPoint(IPAddress.Loopback, 0),
            // The default second is a cluster's bound for an unreachable peer; a test process
            // running many pairs on a loaded 2-core machine took longer than that to complete a
            // loopback connect (its completion waits for a pool thread), which no test here is about.
            ConnectTimeout = TimeSpan.FromSeconds(10),
        }, router) { LocalNode = number };
        await node.StartAsync();
        return node;
    }

    public async Task RestartBAsync()
    {
        var address = B.ListenEndPoint;
        await B.DisposeAsync();
        B = await StartNodeAsync(2, RouterB, listen: address);
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
