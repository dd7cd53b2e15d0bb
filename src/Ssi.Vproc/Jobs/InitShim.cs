namespace Ssi.Vproc.Jobs;

/// <summary>
/// How a cluster job is started: the daemon spawns it as PID 1 of a new PID namespace (see
/// <see cref="Native.Spawn"/>), in a session of its own; <c>setpriv</c> takes on the caller's
/// uid and groups (only when they differ from the daemon's), and Debian's <c>tini -g</c> runs
/// as PID 1: it forwards every signal to the program's process group, reaps orphans and exits
/// with the program's status (128+N for signal N). A PID-namespace init ignores signals it has
/// no handler for, hence the shim. When the program ends, PID 1 ends and the kernel kills
/// whatever else remains in the namespace: a job lives as long as its program.
/// </summary>
internal sealed record InitShim(string Setpriv, string Tini)
{
    private static readonly string[] Directories = ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"];

    /// <summary>Finds the tools; a clear error when one is missing.</summary>
    public static InitShim Locate() =>
        // The package's static build starts without the dynamic loader: ~0.3 ms less on every job.
        new(Find("setpriv", "util-linux"), TryFind("tini-static") ?? Find("tini", "tini"));

    private static string Find(string name, string package) =>
        TryFind(name) ?? throw new FileNotFoundException($"'{name}' is not installed: cluster processes need it (Debian package {package}; ./ssi installs it)");

    private static string? TryFind(string name) =>
        Directories.Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>The argv that starts <paramref name="argv"/> as <paramref name="uid"/>/<paramref name="gid"/> under the shim.</summary>
    public IReadOnlyList<string> Wrap(IReadOnlyList<string> argv, uint uid, uint gid, IReadOnlyList<uint> groups, uint daemonUid)
    {
        var list = new List<string>();
        if (uid != daemonUid || gid != 0 || uid != 0)
        {
            list.Add(Setpriv);
            list.Add($"--reuid={uid}");
            list.Add($"--regid={gid}");
            list.Add(groups.Count == 0 ? "--clear-groups" : "--groups=" + string.Join(',', groups));
            list.Add("--");
        }
        list.Add(Tini);
        list.Add("-g");
        list.Add("--");
        list.AddRange(argv);
        return list;
    }
}
