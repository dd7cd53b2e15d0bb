namespace Ssi.Vproc.Service;

/// <summary>A node's load as <c>ssi run --any</c> weighs it.</summary>
internal readonly record struct NodeLoad(int Node, double Average, int Jobs);

/// <summary>Where <c>ssi run --any</c> puts a job: the least loaded UP node.</summary>
internal static class Placement
{
    // Load averages are read from each node at slightly different moments and move every 5 s, so
    // two equally busy machines rarely report the same figure: loads within this band of the
    // lowest count as equal, and the running cluster jobs decide between them.
    private const double AbsoluteBand = 0.5;
    private const double RelativeBand = 0.1;

    /// <summary>The node for the job: among the nodes within the band of the lowest load average,
    /// the one with the fewest running cluster jobs, then <paramref name="localNode"/>, then the
    /// lowest number; <paramref name="localNode"/> when no node reported.</summary>
    public static int Choose(IReadOnlyCollection<NodeLoad> loads, int localNode)
    {
        if (loads.Count == 0)
            return localNode;
        var lowest = loads.Min(l => l.Average);
        var ceiling = lowest + Math.Max(AbsoluteBand, lowest * RelativeBand);
        return loads.Where(l => l.Average <= ceiling)
            .OrderBy(l => l.Jobs).ThenBy(l => l.Node == localNode ? 0 : 1).ThenBy(l => l.Node)
            .First().Node;
    }
}
