using Ssi.Protocol;

namespace Ssi.Vproc.Service;

/// <summary>What vproc needs to know of the cluster (membership provides it; vproc does not depend on how).</summary>
public interface IClusterView
{
    /// <summary>This node's number (known once the node has joined).</summary>
    int LocalNode { get; }

    /// <summary>Every known node and its state.</summary>
    IReadOnlyList<NodeInfo> Nodes { get; }

    /// <summary>Calls <paramref name="nodeDown"/> with a node's number each time the cluster declares it DOWN, in epoch order.</summary>
    IDisposable OnNodeDown(Func<int, CancellationToken, ValueTask> nodeDown);

    /// <summary>Waits until node <paramref name="node"/> is declared DOWN; false when it did not happen within <paramref name="timeout"/>.</summary>
    Task<bool> WaitForDownAsync(int node, TimeSpan timeout, CancellationToken ct);
}
