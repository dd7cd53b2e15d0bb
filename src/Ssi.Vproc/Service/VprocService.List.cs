using Ssi.Ics;
using Ssi.Protocol;
using Ssi.Vproc.Jobs;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Service;

public sealed partial class VprocService
{
    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(3);

    // CLI → local: every UP node answers for what runs on it, so a dead node leaves no ghost rows.
    private async ValueTask<ReadOnlyMemory<byte>> PsAsync(IncomingRequest request, CancellationToken ct)
    {
        RequireLocal(request);
        RequireReady();
        var ps = Parse(request.Payload, VprocJson.Default.PsRequest);
        var lists = await Task.WhenAll(UpNodes().Select(async n =>
        {
            if (n.Number == LocalNode)
                return ListHere(ps);
            try
            {
                var reply = await _ics.RequestAsync(n.Number, VprocMethods.ListJobs, request.Payload, ListTimeout, ct).ConfigureAwait(false);
                return Parse<ProcessList>(reply, VprocJson.Default.ProcessList);
            }
            catch (SsiException e)
            {
                return new ProcessList([], [$"node {n.Number} ({n.Name}): {e.Message}"]);
            }
        })).ConfigureAwait(false);
        var rows = lists.SelectMany(l => l.Processes).OrderBy(r => r.Cpid == 0 ? 1 : 0).ThenBy(r => r.Cpid).ThenBy(r => r.Node).ThenBy(r => r.Pid).ToList();
        return Encode(new ProcessList(rows, lists.SelectMany(l => l.Unreachable).ToList()), VprocJson.Default.ProcessList);
    }

    private ValueTask<ReadOnlyMemory<byte>> ListJobsAsync(IncomingRequest request, CancellationToken ct)
    {
        RequireNode(request);
        return ValueTask.FromResult(Encode(ListHere(Parse(request.Payload, VprocJson.Default.PsRequest)), VprocJson.Default.ProcessList));
    }

    private ProcessList ListHere(PsRequest ps)
    {
        var uptime = ProcFs.Uptime();
        var rows = new List<ProcessRow>();
        var inJobs = new HashSet<int>();
        foreach (var job in _jobs.Values.Where(j => !j.Exited.IsCompleted))
        {
            foreach (var pid in job.Cgroup.Pids())
                inJobs.Add(pid);
            inJobs.Add(job.ShimPid);
            rows.AddRange(job.Rows(uptime));
        }
        if (ps.All)
            rows.AddRange(OrdinaryProcesses(inJobs, uptime));
        return new ProcessList(rows, []);
    }

    // This node's other processes: those that share the daemon's network namespace (on a
    // cluster-in-a-box, the host's other nodes share its PID namespace but not its network).
    private IEnumerable<ProcessRow> OrdinaryProcesses(HashSet<int> skip, double uptime)
    {
        var net = ProcFs.Namespace(Environment.ProcessId, "net");
        foreach (var pid in ProcFs.AllPids())
        {
            if (skip.Contains(pid) || ProcFs.Namespace(pid, "net") != net)
                continue;
            if (ProcFs.Sample(pid, uptime) is not { } p || p.ParentPid == 2 || pid == 2)
                continue;
            yield return new ProcessRow($"n{LocalNode}:{pid}", 0, 0, LocalNode, pid, p.ParentPid, ProcFs.UserName(p.Uid), p.State.ToString(),
                p.CpuPercent, p.RssKb, p.CpuMs, p.Command);
        }
    }
}
