using System.Globalization;

namespace Ssi.Vproc;

/// <summary>
/// A cluster PID: unique in the cluster for the life of the process. The origin node's number
/// is in the high decimal digits (node × 1,000,000 + a per-node counter), so any node can tell
/// where a process's record is kept by reading its number: 2000017 is node 2's 17th process.
/// </summary>
public readonly record struct ClusterPid(int Value)
{
    /// <summary>Processes a node can number before its counter wraps.</summary>
    public const int PerNode = 1_000_000;

    /// <summary>The node that started the process and keeps its record.</summary>
    public int Origin => Value / PerNode;

    /// <summary>The origin's counter.</summary>
    public int Counter => Value % PerNode;

    /// <summary>True for a number some node could have assigned.</summary>
    public bool IsValid => Value > PerNode && Counter > 0;

    /// <summary>The cluster PID numbered <paramref name="counter"/> by node <paramref name="node"/>.</summary>
    public static ClusterPid Of(int node, int counter)
    {
        if (node < 1 || node > int.MaxValue / PerNode - 1)
            throw new ArgumentOutOfRangeException(nameof(node), node, "node numbers for cluster PIDs go from 1 to 2146");
        if (counter < 1 || counter >= PerNode)
            throw new ArgumentOutOfRangeException(nameof(counter), counter, "counters go from 1 to 999999");
        return new ClusterPid(node * PerNode + counter);
    }

    /// <summary>Parses a cluster PID as printed.</summary>
    public static bool TryParse(string? text, out ClusterPid cpid)
    {
        cpid = default;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            return false;
        cpid = new ClusterPid(value);
        return cpid.IsValid;
    }

    /// <inheritdoc/>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
