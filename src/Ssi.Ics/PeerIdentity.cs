namespace Ssi.Ics;

/// <summary>
/// Who is at the other end of a connection. Nodes prove who they are with the cluster key;
/// a local caller is identified by the kernel (SO_PEERCRED).
/// </summary>
/// <param name="Node">The peer's node number; 0 for a node not yet numbered or a local caller.</param>
/// <param name="Name">The peer's node name, or "local" for a local caller.</param>
/// <param name="Uid">Local callers only: the caller's user id.</param>
/// <param name="Gid">Local callers only: the caller's group id.</param>
/// <param name="Pid">Local callers only: the caller's process id.</param>
public sealed record PeerIdentity(int Node, string Name, uint? Uid = null, uint? Gid = null, int? Pid = null)
{
    /// <summary>Local callers only: the caller's supplementary groups (SO_PEERGROUPS); empty otherwise.</summary>
    public IReadOnlyList<uint> Groups { get; init; } = [];

    /// <summary>Local callers only: the connecting process itself (its descriptors can be taken over).</summary>
    public LocalCaller? Caller { get; init; }

    /// <summary>True for a caller on this machine's Unix socket.</summary>
    public bool IsLocal => Uid is not null;

    /// <summary>True when the caller is a local root process (or a node, which acts for the cluster).</summary>
    public bool IsPrivileged => Uid is null or 0;

    /// <summary>Short description for logs and errors.</summary>
    public override string ToString() => IsLocal ? $"local pid {Pid} uid {Uid}" : Node > 0 ? $"node {Node} ({Name})" : $"unnumbered node {Name}";
}
