using System.Globalization;

namespace Ssi.Vproc;

/// <summary>
/// Hands out this node's cluster PIDs. The counter is persisted in the state directory in
/// blocks (one write per <see cref="Block"/> PIDs), so numbers are never reused across daemon
/// restarts: a restart skips the rest of the block it was in.
/// </summary>
public sealed class ClusterPidAllocator
{
    /// <summary>PIDs reserved by one write of the counter file.</summary>
    public const int Block = 1000;

    private readonly string _file;
    private readonly int _node;
    private readonly Lock _lock = new();
    private int _next;
    private int _ceiling;

    /// <summary>Opens the counter of node <paramref name="node"/> kept in <paramref name="stateDir"/>.</summary>
    public ClusterPidAllocator(string stateDir, int node)
    {
        _file = Path.Combine(stateDir, "vproc-next-pid");
        _node = node;
        _next = File.Exists(_file) && int.TryParse(File.ReadAllText(_file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var saved)
            ? saved
            : 1;
        if (_next < 1 || _next >= ClusterPid.PerNode)
            _next = 1;
        _ceiling = _next;
    }

    /// <summary>The next cluster PID that <paramref name="inUse"/> does not claim.</summary>
    public ClusterPid Next(Func<ClusterPid, bool>? inUse = null)
    {
        lock (_lock)
        {
            for (int tries = 0; tries < ClusterPid.PerNode; tries++)
            {
                if (_next >= ClusterPid.PerNode)
                    (_next, _ceiling) = (1, 1);
                if (_next >= _ceiling)
                    Reserve();
                var cpid = ClusterPid.Of(_node, _next++);
                if (inUse is null || !inUse(cpid))
                    return cpid;
            }
            throw new InvalidOperationException($"node {_node} has no free cluster PID left");
        }
    }

    private void Reserve()
    {
        _ceiling = Math.Min(_next + Block, ClusterPid.PerNode);
        var temp = _file + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(_ceiling.ToString(CultureInfo.InvariantCulture) + "\n"));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, _file, overwrite: true);
    }
}
