using System.Net;
using Microsoft.Extensions.Logging;
using Ssi.Ics;

namespace Ssi.Cfs.Tests.Infrastructure;

/// <summary>
/// Two nodes in one process, joined by real ICS over loopback: node 1 is the CFS server and mounts the
/// tree through the local path; node 2 mounts it through ICS. Each mount is its own FUSE connection with
/// its own kernel caches, so what one mount changes the other sees only through the server.
/// </summary>
internal sealed class CfsRig : IAsyncDisposable
{
    private readonly List<IcsNode> _ics = [];

    private CfsRig(string root)
    {
        Root = root;
        Export = Path.Combine(root, "export");
        Directory.CreateDirectory(Export);
    }

    public string Root { get; }

    public string Export { get; }

    public CfsServer Server { get; private set; } = null!;

    /// <summary>Node 1's mount (the server node).</summary>
    public CfsMount Local { get; private set; } = null!;

    /// <summary>Node 2's mount (a remote node).</summary>
    public CfsMount Remote { get; private set; } = null!;

    public string LocalPath => Local.MountPoint;

    public string RemotePath => Remote.MountPoint;

    /// <summary>A fresh directory made through <paramref name="maker"/>'s mount; its path in both mounts.</summary>
    public (string Server, string Remote) NewDirectory(string prefix, CfsMount maker)
    {
        string name = prefix + "-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(Path.Combine(maker.MountPoint, name));
        return (Path.Combine(LocalPath, name), Path.Combine(RemotePath, name));
    }

    public static async Task<CfsRig> StartAsync(CfsClientOptions? options = null, ILoggerFactory? logs = null)
    {
        var rig = new CfsRig(Path.Combine(Path.GetTempPath(), "cfs-" + Guid.NewGuid().ToString("N")[..8]));
        await rig.StartCoreAsync(options ?? new CfsClientOptions(), logs);
        return rig;
    }

    private async Task StartCoreAsync(CfsClientOptions options, ILoggerFactory? logs)
    {
        var credentials = ClusterCredentials.Create("cfs-test");
        var routerServer = new Router();
        var routerRemote = new Router();
        var server = await StartIcsAsync(1, routerServer, credentials);
        var remote = await StartIcsAsync(2, routerRemote, credentials);
        server.SetPeer(2, remote.ListenEndPoint);
        remote.SetPeer(1, server.ListenEndPoint);

        Server = new CfsServer(1, Export, (node, message, ct) => node == 1
            ? Local.ApplyAsync(message)
            : server.RequestAsync(node, CfsMethods.Invalidate, message, CfsServer.InvalidationTimeout, ct), logs);
        Server.Map(routerServer);
        Local = new CfsMount(new LocalServerLink(Server, 1), 1, Path.Combine(Root, "node1"), options, logs);
        Remote = new CfsMount(new IcsServerLink(remote, 1), 2, Path.Combine(Root, "node2"), options, logs);
        routerRemote.MapRequest(CfsMethods.Invalidate, async (request, _) =>
        {
            await Remote.ApplyAsync(request.Payload);
            return ReadOnlyMemory<byte>.Empty;
        });
        Local.Start();
        Remote.Start();
        await Task.WhenAll(Local.Mounted, Remote.Mounted).WaitAsync(TimeSpan.FromSeconds(20));
    }

    private async Task<IcsNode> StartIcsAsync(int number, Router router, ClusterCredentials credentials)
    {
        var node = new IcsNode(new IcsOptions
        {
            Credentials = credentials,
            NodeName = $"n{number}",
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
        }, router) { LocalNode = number };
        await node.StartAsync();
        _ics.Add(node);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await Remote.DisposeAsync();
        await Local.DisposeAsync();
        Server.Dispose();
        foreach (var node in _ics)
            await node.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
