using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ssi.Ics;
using Ssi.Membership;
using Ssi.Protocol;
using Xunit.Abstractions;

namespace Ssi.Membership.Tests.Infrastructure;

/// <summary>
/// Several real nodes in one test process: each with its own ICS endpoint and Raft port on
/// loopback and its own state directory. Killing a node disposes its membership and ICS, which
/// closes its sockets as a crash would. Everything is removed on dispose, even after a failure.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ssi-clms-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Dictionary<string, TestNode> _nodes = [];

    public TestCluster(ITestOutputHelper output, int maxVoters = 5)
    {
        _output = output;
        MaxVoters = maxVoters;
        Directory.CreateDirectory(_root);
    }

    public ClusterCredentials Credentials { get; } = ClusterCredentials.Create("test");

    /// <summary>What the nodes logged; the tail is shown when a wait times out.</summary>
    public NodeLog NodeLog { get; } = new();

    public int MaxVoters { get; }

    public IEnumerable<TestNode> Running => _nodes.Values.Where(n => n.Membership is not null);

    public TestNode this[string name] => _nodes[name];

    /// <summary>Forms a cluster on the first node and joins the others one after another.</summary>
    public async Task<IReadOnlyList<TestNode>> FormAsync(int count)
    {
        var first = await StartAsync("n1", init: true);
        var nodes = new List<TestNode> { first };
        for (var i = 2; i <= count; i++)
            nodes.Add(await StartAsync($"n{i}", seed: first));
        var voters = VoterPolicy.TargetVoters(count, MaxVoters);
        await WaitAsync(() => Running.All(n => n.Membership!.GetNodes().Count(x => x.State == NodeState.Up) == count
                && n.Membership.GetClusterInfo() is { HasQuorum: true } info && info.Voters == voters),
            TimeSpan.FromSeconds(90), $"all {count} nodes UP everywhere, {voters} voters, quorum");
        return nodes;
    }

    /// <summary>Starts (or restarts, reusing its state directory and ports) node <paramref name="name"/>.</summary>
    public async Task<TestNode> StartAsync(string name, bool init = false, TestNode? seed = null)
    {
        if (!_nodes.TryGetValue(name, out var node))
        {
            node = new TestNode(name, Path.Combine(_root, name), FreePort(), FreePort());
            _nodes[name] = node;
        }
        if (node.Membership is not null)
            throw new InvalidOperationException($"{name} is running");
        var router = new Router();
        var ics = new IcsNode(new IcsOptions
        {
            Credentials = Credentials,
            NodeName = name,
            Listen = new IPEndPoint(IPAddress.Loopback, node.IcsPort),
        }, router);
        await ics.StartAsync();
        var membership = new ClusterMembership(new ClusterMembershipOptions
        {
            StateDir = node.StateDir,
            NodeName = name,
            RaftListen = new IPEndPoint(IPAddress.Loopback, node.RaftPort),
            Init = init,
            JoinSeed = seed is null ? null : new IPEndPoint(IPAddress.Loopback, seed.IcsPort),
            MaxVoters = MaxVoters,
        }, ics, router, NodeLog.For(name));
        node.Ics = ics;
        node.Membership = membership;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await membership.StartAsync(cts.Token);
        }
        catch
        {
            await KillAsync(node);
            throw;
        }
        return node;
    }

    /// <summary>Stops a node abruptly (no leave): its peers see a crash.</summary>
    public async Task KillAsync(TestNode node)
    {
        var membership = node.Membership;
        var ics = node.Ics;
        node.Membership = null;
        node.Ics = null;
        if (ics is not null)
            await ics.DisposeAsync();
        if (membership is not null)
            await membership.DisposeAsync();
    }

    public TestNode MasterNode() =>
        Running.Single(n => n.Membership!.IsMaster);

    public void Log(string line) => _output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");

    /// <summary>Polls <paramref name="condition"/> until true; fails with <paramref name="what"/> and a cluster dump.</summary>
    public async Task<TimeSpan> WaitAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
                {
                _output.WriteLine($"the nodes' last log lines:\n{NodeLog.Tail()}");
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:F0} s waiting for: {what}\n{Dump()}");
            }
            await Task.Delay(10);
        }
        return watch.Elapsed;
    }

    public string Dump()
    {
        var lines = new List<string>();
        foreach (var n in Running)
        {
            var m = n.Membership!;
            var info = m.GetClusterInfo();
            lines.Add($"{n.Name} (node {m.LocalNode}) master={info.Master} quorum={info.HasQuorum} epoch={info.Epoch} voters={info.Voters} : "
                + string.Join(", ", m.GetNodes().Select(x => $"{x.Number}:{x.Name}:{x.State}:{x.Role}")));
            if (m.Raft is { } raft)
                lines.Add("    " + RaftView(raft));
        }
        return string.Join("\n", lines);
    }

    // The Raft group as this voter sees it: a stuck promotion shows here (who lists whom).
    private static string RaftView(RaftVoter raft)
    {
        try
        {
            var cluster = raft.Cluster;
            var state = raft.IsLeader ? "leader" : cluster.Standby ? "standby" : "follower or candidate";
            return $"raft: {state}, term {cluster.AuditTrail.Term}, members {string.Join(" ", cluster.Members.Select(x => x.EndPoint))}";
        }
        catch (ObjectDisposedException)
        {
            return "raft: stopped";
        }
    }

    // Ports for nodes not started yet come from below the kernel's ephemeral range: a port the
    // kernel picked (bind to 0) could meanwhile become the source port of some outgoing
    // connection, and the node's Raft listener then failed to bind: the group waited for a
    // voter that could never answer (seen in full-suite runs, never alone).
    private static int s_lastPort = 10_000 + Environment.ProcessId % 100 * 200;

    private static int FreePort()
    {
        var ephemeralStart = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], CultureInfo.InvariantCulture);
        while (true)
        {
            var port = Interlocked.Increment(ref s_lastPort);
            if (port >= ephemeralStart)
                throw new InvalidOperationException($"no test port left below the ephemeral range ({ephemeralStart})");
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken by something else on this machine: the next one.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            try
            {
                await KillAsync(node);
            }
            catch (Exception e)
            {
                _output.WriteLine($"stopping {node.Name} failed: {e.Message}");
            }
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal sealed class TestNode(string name, string stateDir, int icsPort, int raftPort)
{
    public string Name { get; } = name;
    public string StateDir { get; } = stateDir;
    public int IcsPort { get; } = icsPort;
    public int RaftPort { get; } = raftPort;
    public IcsNode? Ics { get; set; }
    public ClusterMembership? Membership { get; set; }
    public ClusterMembership M => Membership ?? throw new InvalidOperationException($"{Name} is not running");
}
