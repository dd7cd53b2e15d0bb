namespace Ssi.Protocol;

/// <summary>
/// Method numbers, one range per layer so that a frame's owner is obvious from its number.
/// The numbers are on the wire: never renumber, only add.
/// </summary>
public static class Methods
{
    // 0x00xx  ICS itself
    /// <summary>Echoes the payload back (diagnostics and benchmarks).</summary>
    public const ushort Echo = 0x0001;
    /// <summary>Stream that discards what it receives and reports the byte count (benchmarks).</summary>
    public const ushort Sink = 0x0002;
    /// <summary>Stream that echoes every byte back to the opener.</summary>
    public const ushort EchoStream = 0x0003;

    // 0x01xx  CLMS (membership)
    /// <summary>First method number reserved for membership.</summary>
    public const ushort ClmsFirst = 0x0100;
    /// <summary>Last method number reserved for membership.</summary>
    public const ushort ClmsLast = 0x01FF;

    // 0x02xx  daemon control, as used by the CLI over the local socket
    /// <summary>Who is this daemon: <see cref="DaemonStatus"/>.</summary>
    public const ushort DaemonStatus = 0x0201;
    /// <summary>The member list: <see cref="NodeList"/>.</summary>
    public const ushort Nodes = 0x0202;
    /// <summary>The cluster summary: <see cref="ClusterInfo"/>.</summary>
    public const ushort Cluster = 0x0203;
    /// <summary>Stream of <see cref="NodeEvent"/> as JSON lines, starting after a given epoch.</summary>
    public const ushort Events = 0x0204;
    /// <summary>Asks the daemon to leave the cluster and stop.</summary>
    public const ushort Shutdown = 0x0205;
    /// <summary>Forwards a request to another node's daemon: <see cref="ForwardRequest"/>.</summary>
    public const ushort Forward = 0x0206;
    /// <summary>Commits one probe entry through the Raft group; reply: i64 ticks the commit took at the master.</summary>
    public const ushort CommitProbe = 0x0207;
    /// <summary>Node to node: this node's 1-minute load average (f64), for <c>ssi nodes</c>.</summary>
    public const ushort LoadAverage = 0x0208;

    // 0x03xx  vproc (clusterwide processes; the method constants live in Ssi.Vproc)
    /// <summary>First method number reserved for clusterwide processes.</summary>
    public const ushort VprocFirst = 0x0300;
    /// <summary>Last method number reserved for clusterwide processes.</summary>
    public const ushort VprocLast = 0x03FF;

    // 0x04xx  CFS (cluster filesystem; the method constants live in Ssi.Cfs)
    /// <summary>First method number reserved for the cluster filesystem.</summary>
    public const ushort CfsFirst = 0x0400;
    /// <summary>Last method number reserved for the cluster filesystem.</summary>
    public const ushort CfsLast = 0x04FF;
}
