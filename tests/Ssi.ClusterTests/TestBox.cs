using System.Diagnostics;
using Ssi.Box;
using Ssi.Client;
using Ssi.Protocol;
using Xunit.Abstractions;

namespace Ssi.ClusterTests;

/// <summary>
/// A real cluster on a box with a unique name, destroyed when the test ends, failed or not.
/// On failure the daemons' logs are copied into the test output before the box goes.
/// </summary>
internal sealed class TestBox : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly ITestOutputHelper _output;

    private TestBox(BoxCluster cluster, ITestOutputHelper output)
    {
        Cluster = cluster;
        _output = output;
    }

    public BoxCluster Cluster { get; }

    public ClusterBox Box => Cluster.Box;

    public static async Task<TestBox> UpAsync(int nodes, ITestOutputHelper output)
    {
        Environment.SetEnvironmentVariable("SSI_SSID", Path.Combine(AppContext.BaseDirectory, "ssid"));
        var name = ClusterBox.NewUniqueName();
        var clock = Stopwatch.StartNew();
        var cluster = await BoxCluster.UpAsync(name, nodes, Patience + TimeSpan.FromSeconds(nodes * 3));
        output.WriteLine($"box {name}: {nodes} nodes UP in {clock.ElapsedMilliseconds} ms");
        return new TestBox(cluster, output);
    }

    public Task<NodeList> NodesAsync(int viewFrom) => Cluster.NodesAsync(viewFrom);

    public Task<ClusterInfo> ClusterAsync(int viewFrom) => Cluster.ClusterAsync(viewFrom);

    /// <summary>Waits until <paramref name="node"/> is in <paramref name="state"/> in the view of every node in <paramref name="viewers"/>; returns when each saw it.</summary>
    public async Task<Dictionary<int, TimeSpan>> WaitForStateAsync(int node, NodeState state, IEnumerable<int> viewers, Stopwatch since)
    {
        var seen = await Task.WhenAll(viewers.Select(async v =>
        {
            await Cluster.WaitForAsync(v, l => l.Nodes.Any(n => n.Number == node && n.State == state), Patience);
            return (Viewer: v, At: since.Elapsed);
        }));
        foreach (var (viewer, at) in seen)
            _output.WriteLine($"node {viewer} saw node {node} {state} after {at.TotalMilliseconds:0} ms");
        return seen.ToDictionary(s => s.Viewer, s => s.At);
    }

    public IEnumerable<int> AllBut(params int[] excluded) => Box.Nodes.Select(n => n.Number).Except(excluded);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Box.Nodes)
        {
            var log = Path.Combine(node.StateDirectory, "ssid.log");
            if (File.Exists(log))
            {
                var lines = File.ReadAllLines(log);
                _output.WriteLine($"---- {node.Name} ssid.log (last 40 of {lines.Length} lines)");
                foreach (var line in lines.TakeLast(40))
                    _output.WriteLine(line);
            }
        }
        var name = Box.Name;
        await Cluster.DisposeAsync();
        Assert.DoesNotContain(ClusterBox.List(), b => b.Name == name);
        Assert.False(Directory.Exists(Path.Combine(ClusterBox.DefaultRoot, name)), $"box directory of {name} left behind");
        Assert.Empty(Directory.Exists("/run/netns") ? Directory.GetFiles("/run/netns", name + "-*") : []);
    }
}
