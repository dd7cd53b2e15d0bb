using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Ssi.Box.Native;

namespace Ssi.Box;

/// <summary>
/// A cluster-in-a-box: N nodes on one machine, each in its own network and mount namespace,
/// joined by a bridge in a switch namespace, with no route to the host's networks.
/// </summary>
/// <remarks>
/// <para>Everything a box creates carries its name: the network namespaces
/// <c>&lt;name&gt;-sw</c> and <c>&lt;name&gt;-n&lt;K&gt;</c> (in /run/netns), the bridge
/// <c>&lt;name&gt;-br</c> and its ports <c>&lt;name&gt;-n&lt;K&gt;</c> (inside the switch
/// namespace; each node sees its end as <c>eth0</c>), and the directory
/// <c>&lt;root&gt;/&lt;name&gt;</c> holding <c>box.conf</c>, the persistent mount namespaces
/// <c>ns/node&lt;K&gt;.mnt</c> and a state directory <c>node&lt;K&gt;</c> per node.</para>
/// <para>Disposing the box destroys it. A process that wants the box to outlive it (the CLI's
/// <c>up</c>) does not dispose it; the box then lives as long as its node processes do.</para>
/// </remarks>
public sealed partial class ClusterBox : IAsyncDisposable
{
    /// <summary>Where boxes keep their directories unless told otherwise.</summary>
    public const string DefaultRoot = "/run/ssi";

    /// <summary>Longest box name: interface names must fit 15 characters (<c>&lt;name&gt;-n254</c>).</summary>
    public const int MaxNameLength = 10;

    private const string ConfigFile = "box.conf";
    private readonly List<BoxNode> _nodes;
    private readonly Lock _nodesLock = new();

    private ClusterBox(string name, int index, string root, IEnumerable<BoxNode>? nodes = null)
    {
        Name = name;
        Index = index;
        Root = root;
        _nodes = nodes?.ToList() ?? [];
    }

    /// <summary>The box name, a prefix of everything the box creates.</summary>
    public string Name { get; }

    /// <summary>The box index: it picks the box subnet (see <see cref="BoxAddressPlan"/>).</summary>
    public int Index { get; }

    /// <summary>The directory holding all boxes' directories.</summary>
    public string Root { get; }

    /// <summary>The box directory, <c>&lt;root&gt;/&lt;name&gt;</c>.</summary>
    public string StateDirectory => Path.Combine(Root, Name);

    /// <summary>The network namespace holding the bridge.</summary>
    public string SwitchNamespace => $"{Name}-sw";

    /// <summary>The bridge joining the nodes, inside <see cref="SwitchNamespace"/>.</summary>
    public string BridgeName => $"{Name}-br";

    /// <summary>The subnet of the box: <see cref="BoxAddressPlan.Subnet"/> / <see cref="BoxAddressPlan.PrefixLength"/>.</summary>
    public IPAddress Subnet => BoxAddressPlan.Subnet(Index);

    /// <summary>The nodes, in order of their numbers (1..N).</summary>
    public IReadOnlyList<BoxNode> Nodes
    {
        get
        {
            lock (_nodesLock)
                return _nodes.ToArray();
        }
    }

    /// <summary>Node number <paramref name="number"/> (1-based).</summary>
    public BoxNode Node(int number) =>
        Nodes.FirstOrDefault(n => n.Number == number)
        ?? throw new ArgumentOutOfRangeException(nameof(number), number, $"box {Name} has no node {number}");

    /// <summary>True for a lower-case letter followed by up to 9 lower-case letters or digits.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxNameLength
        && char.IsAsciiLetterLower(name[0])
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));

    /// <summary>A fresh random name such as <c>t4k2x9qzp</c>, for tests that must never collide.</summary>
    public static string NewUniqueName(string prefix = "t")
    {
        if (!IsValidName(prefix) || prefix.Length > MaxNameLength - 4)
            throw new ArgumentException($"'{prefix}' cannot start a box name", nameof(prefix));
        return prefix + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", MaxNameLength - prefix.Length);
    }

    /// <summary>
    /// Creates a box of <paramref name="nodes"/> nodes. A stale box of the same name (left by a
    /// crashed run) is removed first; a live one is an error.
    /// </summary>
    public static async Task<ClusterBox> CreateAsync(string name, int nodes, string root = DefaultRoot,
        CancellationToken cancellationToken = default)
    {
        RequireValidName(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nodes, BoxAddressPlan.MaxNodes);
        Directory.CreateDirectory(root);

        int index;
        await using (await LockRootAsync(root, cancellationToken))
        {
            var existing = Inspect(root, name, BoxNamespaces(root, name));
            if (existing is not null)
            {
                if (!existing.IsStale)
                {
                    throw new BoxException(existing.Processes > 0
                        ? $"box '{name}' is already up ({existing.Processes} processes run in it): run 'ssi down' first"
                        : $"box '{name}' already exists and its creator is still running: destroy it first");
                }
                await DestroyCoreAsync(root, name, cancellationToken);
            }
            else if (NetworkNamespacesOf(name).Any())
            {
                // Namespaces without a directory: the remains of a crash in the middle of destroy.
                await DestroyCoreAsync(root, name, cancellationToken);
            }
            index = FreeIndex(root);
            Directory.CreateDirectory(Path.Combine(root, name));
            WriteConfig(Path.Combine(root, name), index, ProcessIdentity.Current);
        }

        var box = new ClusterBox(name, index, root);
        try
        {
            await box.BuildSwitchAsync(cancellationToken);
            for (int k = 0; k < nodes; k++)
                await box.AddNodeAsync(cancellationToken);
            return box;
        }
        catch
        {
            await DestroyCoreAsync(root, name, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Opens a box that exists (created by this or another process).</summary>
    public static ClusterBox Open(string name, string root = DefaultRoot)
    {
        RequireValidName(name);
        string dir = Path.Combine(root, name);
        var config = ReadConfig(dir)
            ?? throw new BoxException($"there is no box '{name}' under {root}: create it first ('ssi up')");
        var box = new ClusterBox(name, config.Index, root);
        foreach (int k in NodeNumbers(dir))
            box._nodes.Add(new BoxNode(box, k));
        return box;
    }

    /// <summary>Adds one node (the next number) to the box and returns it.</summary>
    public async Task<BoxNode> AddNodeAsync(CancellationToken cancellationToken = default)
    {
        int number;
        await using (await LockRootAsync(Root, cancellationToken))
        {
            number = NodeNumbers(StateDirectory).DefaultIfEmpty(0).Max() + 1;
            if (number > BoxAddressPlan.MaxNodes)
                throw new BoxException($"box {Name} is full: at most {BoxAddressPlan.MaxNodes} nodes");
            Directory.CreateDirectory(Path.Combine(StateDirectory, $"node{number}"));
        }

        var node = new BoxNode(this, number);
        await node.BuildAsync(cancellationToken);
        lock (_nodesLock)
            _nodes.Add(node);
        return node;
    }

    /// <summary>
    /// Marks the box as owned by no process: from now on it stays alive only while processes
    /// run inside it, and <see cref="CleanupStaleAsync"/> removes it once they are all gone.
    /// </summary>
    public void ReleaseOwnership() => WriteConfig(StateDirectory, Index, owner: default);

    /// <summary>Destroys the box (see <see cref="DestroyAsync(string, string, CancellationToken)"/>).</summary>
    public Task DestroyAsync(CancellationToken cancellationToken = default) =>
        DestroyAsync(Name, Root, cancellationToken);

    /// <summary>Destroys the box.</summary>
    public async ValueTask DisposeAsync() => await DestroyAsync(CancellationToken.None);

    /// <inheritdoc/>
    public override string ToString() => $"box {Name} ({Nodes.Count} nodes, {Subnet}/{BoxAddressPlan.PrefixLength})";

    private async Task BuildSwitchAsync(CancellationToken cancellationToken)
    {
        await HostCommand.RunCheckedAsync("ip", ["netns", "add", SwitchNamespace], cancellationToken);
        // STP stays off, so a port forwards as soon as it is up.
        await HostCommand.RunCheckedAsync("ip", ["-n", SwitchNamespace, "-batch", "-"], cancellationToken,
            $"""
            link set lo up
            link add name {BridgeName} type bridge stp_state 0
            link set {BridgeName} up

            """);
        string nsDir = Path.Combine(StateDirectory, "ns");
        Directory.CreateDirectory(nsDir);
        Mounts.MakePrivateBind(nsDir);
    }

    private static void RequireValidName(string name)
    {
        if (!IsValidName(name))
        {
            throw new BoxException(
                $"'{name}' is not a valid box name: use 1 to {MaxNameLength} lower-case letters or digits, starting with a letter");
        }
    }

    private static IEnumerable<int> NodeNumbers(string boxDirectory)
    {
        if (!Directory.Exists(boxDirectory))
            yield break;
        foreach (var dir in Directory.EnumerateDirectories(boxDirectory, "node*").Order(StringComparer.Ordinal))
        {
            if (int.TryParse(Path.GetFileName(dir).AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int k))
                yield return k;
        }
    }

    private static int FreeIndex(string root)
    {
        var used = Directory.EnumerateDirectories(root)
            .Select(d => ReadConfig(d)?.Index)
            .OfType<int>()
            .ToHashSet();
        for (int i = 0; i < BoxAddressPlan.MaxBoxes; i++)
        {
            if (!used.Contains(i))
                return i;
        }
        throw new BoxException($"all {BoxAddressPlan.MaxBoxes} box subnets are in use: destroy some boxes ('ssi down')");
    }

    // Serializes index and node-number allocation between threads and processes (flock).
    private static async Task<FileStream> LockRootAsync(string root, CancellationToken cancellationToken)
    {
        string path = Path.Combine(root, ".lock");
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 3000)
            {
                await Task.Delay(10, cancellationToken);
            }
        }
    }

    private sealed record BoxConfig(int Index, ProcessIdentity Owner);

    private static void WriteConfig(string boxDirectory, int index, ProcessIdentity owner)
    {
        string path = Path.Combine(boxDirectory, ConfigFile);
        string text = $"index={index}\nowner={(owner.Pid > 0 ? owner.ToString() : "")}\n";
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static BoxConfig? ReadConfig(string boxDirectory)
    {
        string path = Path.Combine(boxDirectory, ConfigFile);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (IOException) { return null; }
        int? index = null;
        ProcessIdentity owner = default;
        foreach (var line in lines)
        {
            if (line.StartsWith("index=", StringComparison.Ordinal)
                && int.TryParse(line.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out int i))
                index = i;
            else if (line.StartsWith("owner=", StringComparison.Ordinal))
                owner = ProcessIdentity.Parse(line[6..]);
        }
        return index is null ? null : new BoxConfig(index.Value, owner);
    }
}
