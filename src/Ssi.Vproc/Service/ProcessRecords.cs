using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Service;

/// <summary>
/// The records an origin node keeps of the cluster processes it started: where each runs,
/// its state and, once ended, its exit status. Ended records are forgotten after a while.
/// </summary>
internal sealed class ProcessRecords(TimeSpan keepEnded)
{
    private readonly Dictionary<int, (ProcessRecord Record, DateTime EndedAt)> _records = [];
    private readonly Lock _lock = new();

    public void Add(ProcessRecord record)
    {
        lock (_lock)
        {
            Prune();
            _records[record.Cpid] = (record, DateTime.MaxValue);
        }
    }

    public bool Contains(ClusterPid cpid)
    {
        lock (_lock)
            return _records.ContainsKey(cpid.Value);
    }

    public ProcessRecord? Find(int cpid)
    {
        lock (_lock)
        {
            Prune();
            return _records.TryGetValue(cpid, out var entry) ? entry.Record : null;
        }
    }

    /// <summary>Marks a process ended (first report wins); false if it was not running.</summary>
    public bool End(int cpid, ExitInfo exit)
    {
        lock (_lock)
        {
            if (!_records.TryGetValue(cpid, out var entry) || entry.Record.State == ProcessState.Exited)
                return false;
            _records[cpid] = (entry.Record with { State = ProcessState.Exited, Exit = exit }, DateTime.UtcNow);
            return true;
        }
    }

    /// <summary>Ends every running process of <paramref name="node"/> with <paramref name="exit"/>; returns their PIDs.</summary>
    public List<int> EndAllOn(int node, ExitInfo exit)
    {
        lock (_lock)
        {
            var ended = _records.Values.Where(e => e.Record.State == ProcessState.Running && e.Record.Node == node)
                .Select(e => e.Record.Cpid).ToList();
            foreach (var cpid in ended)
                End(cpid, exit);
            return ended;
        }
    }

    private void Prune()
    {
        var now = DateTime.UtcNow;
        foreach (var (cpid, entry) in _records.Where(e => e.Value.EndedAt != DateTime.MaxValue && now - e.Value.EndedAt > keepEnded).ToList())
            _records.Remove(cpid);
    }
}
