namespace Ssi.Vproc.Jobs;

/// <summary>
/// How a cluster job is started: the daemon spawns it as PID 1 of a new PID namespace (see
/// <see cref="Native.Spawn"/>), in a session of its own, under <c>ssi-init</c> (Shim/ssi-init.c):
/// it starts the program born in the job's cgroup, in a process group of its own and as the
/// caller's uid and groups (only when they differ from the daemon's), forwards every signal to
/// that group, reaps orphans and exits with the program's status (128+N for signal N). A PID-namespace init ignores
/// signals it has no handler for, hence the shim. When the program ends, PID 1 ends and the
/// kernel kills whatever else remains in the namespace: a job lives as long as its program.
/// Usually a shim started ahead of need takes the job (<see cref="ShimLauncher"/>).
/// </summary>
internal sealed record InitShim(string Path)
{
    /// <summary>The shim built with Ssi.Vproc, beside the assembly; a clear error when it is missing.</summary>
    public static InitShim Locate()
    {
        var path = System.IO.Path.Combine(AppContext.BaseDirectory, "ssi-init");
        return File.Exists(path)
            ? new(path)
            : throw new FileNotFoundException($"the job init shim {path} is missing: cluster processes need it (it is built with Ssi.Vproc by a C compiler; run ./ssi to install clang and rebuild)");
    }

    /// <summary>The argv that starts <paramref name="argv"/> in <paramref name="cgroup"/> as <paramref name="uid"/>/<paramref name="gid"/> under the shim.</summary>
    public IReadOnlyList<string> Wrap(IReadOnlyList<string> argv, string? cgroup, uint uid, uint gid, IReadOnlyList<uint> groups, uint daemonUid,
        string? workingDirectory = null) =>
        [Path, .. Options(argv, cgroup, uid, gid, groups, daemonUid, workingDirectory, controllingTerminal: false)];

    /// <summary>
    /// The shim's arguments after its name: options, <c>--</c>, the program's argv. The program
    /// enters the directory as the caller (so a user cannot start where the user may not go);
    /// a controlling terminal (stdin) is an option only for a shim that was started ahead of the
    /// job (posix_spawn makes it otherwise).
    /// </summary>
    public static List<string> Options(IReadOnlyList<string> argv, string? cgroup, uint uid, uint gid, IReadOnlyList<uint> groups,
        uint daemonUid, string? workingDirectory, bool controllingTerminal)
    {
        var list = new List<string>(argv.Count + 5);
        if (cgroup is not null)
            list.Add("--cgroup=" + cgroup);
        if (uid != daemonUid || gid != 0 || uid != 0)
            list.Add($"--as={uid}:{gid}:{string.Join(',', groups)}");
        if (workingDirectory is not null)
            list.Add("--cwd=" + workingDirectory);
        if (controllingTerminal)
            list.Add("--tty");
        list.Add("--");
        list.AddRange(argv);
        return list;
    }
}
