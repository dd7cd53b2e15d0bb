namespace Ssi.Vproc.Jobs;

/// <summary>
/// One job as its init shim (<see cref="InitShim"/>) starts it: the program, its environment
/// and directory, the cgroup it is born in, the identity it runs as, and its stdio (descriptors
/// that become its 0-2, or a pty slave's path). Descriptors stay the caller's to close.
/// </summary>
internal sealed record ShimJob(IReadOnlyList<string> Argv, IReadOnlyList<string> Environment, string? WorkingDirectory,
    string? Cgroup, uint Uid, uint Gid, IReadOnlyList<uint> Groups)
{
    /// <summary>Becomes the program's stdin; -1 for /dev/null.</summary>
    public int Stdin { get; init; } = -1;

    /// <inheritdoc cref="Stdin"/>
    public int Stdout { get; init; } = -1;

    /// <inheritdoc cref="Stdin"/>
    public int Stderr { get; init; } = -1;

    /// <summary>A pty slave's path: the session's terminal and the program's 0-2 (the descriptors are then unused).</summary>
    public string? Terminal { get; init; }
}
