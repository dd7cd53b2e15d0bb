using Ssi.Membership;
using Ssi.Protocol;
using Ssi.Vproc.Service;

namespace Ssi.Daemon;

/// <summary>What vproc sees of the cluster, from membership: node list, nodedown events, verdicts.</summary>
internal sealed class MembershipClusterView(ClusterMembership membership) : IClusterView
{
    public int LocalNode => membership.LocalNode;

    public IReadOnlyList<NodeInfo> Nodes => membership.GetNodes();

    public IDisposable OnNodeDown(Func<int, CancellationToken, ValueTask> nodeDown) =>
        membership.Subscribe((ev, ct) => ev.To == NodeState.Down ? nodeDown(ev.Node, ct) : ValueTask.CompletedTask);

    public async Task<bool> WaitForDownAsync(int node, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await membership.WaitForStateAsync(node, NodeState.Down, timeout, ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
