using Ssi.Box;
using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Client;

/// <summary>
/// An SSI cluster running on a cluster-in-a-box: one <c>ssid</c> per box node, started inside
/// the node's namespaces. Used by <c>ssi up</c>, the demo, the cluster tests and the benchmarks.
/// </summary>
public sealed class BoxCluster : IAsyncDisposable
{
    /// <summary>Name of the daemon process inside each box node.</summary>
    public const string DaemonName = "ssid";

    /// <summary>Size of the Raft group in a box cluster (the daemon's default).</summary>
    public const int MaxVoters = 5;

    private readonly string _ssid;

    private BoxCluster(ClusterBox box, string ssid)
    {
        Box = box;
        _ssid = ssid;
    }

    /// <summary>The namespaces the cluster runs in.</summary>
    public ClusterBox Box { get; }

    /// <summary>The box's nodes.</summary>
    public IReadOnlyList<BoxNode> Nodes => Box.Nodes;

    /// <summary>
    /// Creates a box of <paramref name="nodes"/> nodes, gives them the credentials of a new
    /// cluster, starts every daemon and waits until every node is UP in node 1's view.
    /// </summary>
    public static async Task<BoxCluster> UpAsync(string boxName, int nodes, TimeSpan timeout, IProgress<string>? progress = null,
        CancellationToken ct = default)
    {
        var ssid = SsidLocator.Find();
        progress?.Report($"creating box '{boxName}' with {nodes} nodes");
        var box = await ClusterBox.CreateAsync(boxName, nodes, cancellationToken: ct).ConfigureAwait(false);
        var cluster = new BoxCluster(box, ssid);
        try
        {
            var credentials = ClusterCredentials.Create(boxName);
            foreach (var node in box.Nodes)
                cluster.Configure(node, credentials);
            progress?.Report("starting node 1, which founds the cluster");
            cluster.StartDaemon(1);
            await cluster.WaitForAsync(1, list => list.Nodes.Any(n => n.Number == 1 && n.State == NodeState.Up), timeout, ct).ConfigureAwait(false);
            progress?.Report($"starting nodes 2..{nodes}, which join through node 1");
            // One at a time, so that cluster node numbers follow box node numbers.
            for (var k = 2; k <= nodes; k++)
            {
                cluster.StartDaemon(k);
                var name = box.Node(k).Name;
                await cluster.WaitForAsync(1, list => list.Nodes.Any(n => n.Name == name), timeout, ct).ConfigureAwait(false);
            }
            await cluster.WaitForAsync(1, list => list.Nodes.Count(n => n.State == NodeState.Up) == nodes, timeout, ct).ConfigureAwait(false);
            // Formation is over once the Raft group has grown to its full size (at most 5 voters):
            // before that, a partition can leave no side with a majority.
            var voters = ExpectedVoters(nodes);
            await cluster.WaitForClusterAsync(1, c => c.Voters >= voters && c.HasQuorum, timeout, ct).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Voters in a formed cluster of <paramref name="nodes"/> live nodes: the largest odd number up to <see cref="MaxVoters"/>.</summary>
    public static int ExpectedVoters(int nodes) => Math.Max(1, Math.Min(nodes, MaxVoters) - (Math.Min(nodes, MaxVoters) % 2 == 0 ? 1 : 0));

    /// <summary>Opens the cluster of a box that is already up.</summary>
    public static BoxCluster Open(string boxName) => new(ClusterBox.Open(boxName), SsidLocator.Find());

    /// <summary>Adds a box node, configured to join the cluster, and starts its daemon.</summary>
    public async Task<BoxNode> AddNodeAsync(CancellationToken ct = default)
    {
        var node = await Box.AddNodeAsync(ct).ConfigureAwait(false);
        var credentials = ClusterCredentials.Load(Path.Combine(Box.Node(1).StateDirectory, NodeConfig.CredentialsFileName));
        Configure(node, credentials);
        StartDaemon(node.Number);
        return node;
    }

    private void Configure(BoxNode node, ClusterCredentials credentials)
    {
        var seed = Box.Node(1).Address;
        new NodeConfig
        {
            Name = node.Name,
            Listen = $"{node.Address}:{NodeConfig.DefaultIcsPort}",
            RaftListen = $"{node.Address}:{NodeConfig.DefaultRaftPort}",
            Socket = node.SocketPath,
            Init = node.Number == 1,
            Seed = node.Number == 1 ? null : $"{seed}:{NodeConfig.DefaultIcsPort}",
            CfsExport = node.Number == 1 ? Path.Combine(node.StateDirectory, "export") : null,
        }.Save(node.StateDirectory);
        credentials.Save(Path.Combine(node.StateDirectory, NodeConfig.CredentialsFileName));
    }

    /// <summary>Starts node <paramref name="number"/>'s daemon (again, after it was killed).</summary>
    public NodeProcess StartDaemon(int number)
    {
        var node = Box.Node(number);
        if (File.Exists(node.SocketPath) && !LocalClient.IsServed(node.SocketPath))
            File.Delete(node.SocketPath);
        return node.Start(new NodeCommand(DaemonName, _ssid, ["--state", node.StateDirectory])
        {
            Environment = new Dictionary<string, string> { ["DOTNET_gcServer"] = "0", ["DOTNET_TieredPGO"] = "1" },
        });
    }

    /// <summary>Kills node <paramref name="number"/>'s daemon with <paramref name="signal"/> (SIGKILL by default) and waits for it to exit.</summary>
    public Task<bool> KillDaemonAsync(int number, int signal = 9, CancellationToken ct = default) =>
        Box.Node(number).KillAsync(DaemonName, signal, servesFuse: true, TimeSpan.FromSeconds(15), ct);

    /// <summary>Connects to node <paramref name="number"/>'s daemon.</summary>
    public Task<DaemonClient> ConnectAsync(int number, CancellationToken ct = default) =>
        DaemonClient.ConnectAsync(Box.Node(number).SocketPath, ct: ct);

    /// <summary>The member list as node <paramref name="viewFrom"/> sees it.</summary>
    public async Task<NodeList> NodesAsync(int viewFrom, CancellationToken ct = default)
    {
        await using var client = await ConnectAsync(viewFrom, ct).ConfigureAwait(false);
        return await client.NodesAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The cluster summary as node <paramref name="viewFrom"/> sees it.</summary>
    public async Task<ClusterInfo> ClusterAsync(int viewFrom, CancellationToken ct = default)
    {
        await using var client = await ConnectAsync(viewFrom, ct).ConfigureAwait(false);
        return await client.ClusterAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Waits until node <paramref name="viewFrom"/>'s member list satisfies <paramref name="condition"/>.</summary>
    public Task<NodeList> WaitForAsync(int viewFrom, Func<NodeList, bool> condition, TimeSpan timeout, CancellationToken ct = default) =>
        WaitUntilAsync(viewFrom, NodesAsync, condition, l => string.Join(", ", l.Nodes.Select(n => $"{n.Name}={n.State}")), timeout, ct);

    /// <summary>Waits until node <paramref name="viewFrom"/>'s cluster summary satisfies <paramref name="condition"/>.</summary>
    public Task<ClusterInfo> WaitForClusterAsync(int viewFrom, Func<ClusterInfo, bool> condition, TimeSpan timeout, CancellationToken ct = default) =>
        WaitUntilAsync(viewFrom, ClusterAsync, condition, c => $"quorum={c.HasQuorum} master={c.Master} voters={c.Voters} up={c.Up}", timeout, ct);

    private async Task<T> WaitUntilAsync<T>(int viewFrom, Func<int, CancellationToken, Task<T>> read, Func<T, bool> condition,
        Func<T, string> describe, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer yet";
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var seen = await read(viewFrom, ct).ConfigureAwait(false);
                if (condition(seen))
                    return seen;
                last = describe(seen);
            }
            catch (SsiException e)
            {
                last = e.Message;
            }
            if (DateTime.UtcNow > deadline)
                throw new SsiException(Status.DeadlineExceeded,
                    $"box '{Box.Name}': the cluster did not reach the expected state within {timeout.TotalSeconds:0} s in node {viewFrom}'s view (last seen: {last}); logs are in {Box.Node(viewFrom).StateDirectory}");
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Stops every daemon and removes the box.</summary>
    public async ValueTask DisposeAsync() => await Box.DestroyAsync().ConfigureAwait(false);
}
