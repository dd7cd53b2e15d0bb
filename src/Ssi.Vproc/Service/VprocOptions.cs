namespace Ssi.Vproc.Service;

/// <summary>Where vproc keeps its state and how this node is named.</summary>
public sealed class VprocOptions
{
    /// <summary>The node's state directory (the cluster PID counter lives there).</summary>
    public required string StateDir { get; init; }

    /// <summary>The cluster's name (names this node's cgroup).</summary>
    public required string ClusterName { get; init; }

    /// <summary>This node's name (names this node's cgroup).</summary>
    public required string NodeName { get; init; }

    /// <summary>The daemon's Unix socket, given to cluster processes as SSI_SOCKET so that they can start others.</summary>
    public required string Socket { get; init; }

    /// <summary>How long ended processes stay known (where, attach) on the node they ran on and at their origin.</summary>
    public TimeSpan KeepEnded { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Deadline of node-to-node requests.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
