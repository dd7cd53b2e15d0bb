using Ssi.Box.Native;
using Ssi.Posix;

namespace Ssi.Box;

// Listing, destroying and cleaning up after crashed runs.
public sealed partial class ClusterBox
{
    private const string NetnsDirectory = "/run/netns";

    /// <summary>Every box under <paramref name="root"/>, with whether it is alive or stale.</summary>
    public static IReadOnlyList<BoxStatus> List(string root = DefaultRoot)
    {
        if (!Directory.Exists(root))
            return [];
        var names = Directory.EnumerateDirectories(root)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(IsValidName)
            .Order(StringComparer.Ordinal)
            .ToList();
        var namespaces = names.ToDictionary(n => n, n => BoxNamespaces(root, n));
        var all = namespaces.Values.SelectMany(s => s).ToHashSet();
        var running = NamespaceMembers.Find(all);

        var result = new List<BoxStatus>();
        foreach (var name in names)
        {
            int processes = running.Count(pid =>
                namespaces[name].Contains(NamespaceMembers.NamespaceOf(pid, "net"))
                || namespaces[name].Contains(NamespaceMembers.NamespaceOf(pid, "mnt")));
            if (Inspect(root, name, namespaces[name], processes) is { } status)
                result.Add(status);
        }
        return result;
    }

    /// <summary>
    /// Destroys the box named <paramref name="name"/>: kills every process in its namespaces,
    /// unmounts everything under its directory, deletes its namespaces (and with them its links)
    /// and its directory. Destroying a box that does not exist does nothing.
    /// </summary>
    public static async Task DestroyAsync(string name, string root = DefaultRoot, CancellationToken cancellationToken = default)
    {
        RequireValidName(name);
        await DestroyCoreAsync(root, name, cancellationToken);
    }

    /// <summary>
    /// Destroys every stale box (see <see cref="BoxStatus.IsStale"/>) and returns their names.
    /// Boxes whose creator is alive, or with processes running, are left alone.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CleanupStaleAsync(string root = DefaultRoot,
        CancellationToken cancellationToken = default)
    {
        var removed = new List<string>();
        foreach (var box in List(root).Where(b => b.IsStale))
        {
            await DestroyCoreAsync(root, box.Name, cancellationToken);
            removed.Add(box.Name);
        }
        return removed;
    }

    private static BoxStatus? Inspect(string root, string name, IReadOnlySet<ulong> namespaces, int? processes = null)
    {
        string dir = Path.Combine(root, name);
        if (!Directory.Exists(dir))
            return null;
        // A directory without a readable config is the remains of a crash while creating.
        var config = ReadConfig(dir);
        return new BoxStatus(
            name,
            config?.Index ?? -1,
            NodeNumbers(dir).Count(),
            config?.Owner.IsAlive ?? false,
            processes ?? NamespaceMembers.Find(namespaces).Count);
    }

    /// <summary>Inodes of the box's network and mount namespaces that still exist.</summary>
    private static HashSet<ulong> BoxNamespaces(string root, string name)
    {
        var files = NetworkNamespacesOf(name).ToList();
        string nsDir = Path.Combine(root, name, "ns");
        if (Directory.Exists(nsDir))
            files.AddRange(Directory.EnumerateFiles(nsDir, "*.mnt"));
        return files.Select(LibC.InodeOf).Where(i => i != 0).ToHashSet();
    }

    private static IEnumerable<string> NetworkNamespacesOf(string name) =>
        Directory.Exists(NetnsDirectory)
            ? Directory.EnumerateFiles(NetnsDirectory, name + "-*")
            : [];

    private static async Task DestroyCoreAsync(string root, string name, CancellationToken cancellationToken)
    {
        await NamespaceMembers.KillAllAsync(BoxNamespaces(root, name), TimeSpan.FromSeconds(15), cancellationToken);
        DetachedProcess.ReapExited();
        // A node daemon that was killed (or is killed now) leaves its job cgroups behind; the
        // box's cluster is named after the box and its nodes nodeK.
        await Cgroup2.RemoveClusterAsync(name, "node*", TimeSpan.FromSeconds(5), cancellationToken);

        // Deleting a network namespace deletes its veth ends, and so the links of the box.
        foreach (var netns in NetworkNamespacesOf(name))
        {
            Mounts.TryUnmount(netns);
            File.Delete(netns);
        }

        string dir = Path.Combine(root, name);
        if (Directory.Exists(dir))
        {
            Mounts.UnmountAllUnder(dir);
            Directory.Delete(dir, recursive: true);
        }
    }
}
