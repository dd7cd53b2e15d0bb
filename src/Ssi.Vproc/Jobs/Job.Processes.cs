using Ssi.Vproc.Native;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Jobs;

internal sealed partial class Job
{
    /// <summary>The job's processes (the shim and its PID 1 left out): the program has pid 2 inside the namespace.</summary>
    public List<ProcSample> Members(double? uptime = null)
    {
        var list = new List<ProcSample>();
        foreach (var pid in Cgroup.Pids())
        {
            if (pid == ShimPid)
                continue;
            if (ProcFs.Sample(pid, uptime) is { NamespacePid: > 1 } sample)
                list.Add(sample);
        }
        return list;
    }

    /// <summary>ps rows of the job's processes.</summary>
    public IEnumerable<ProcessRow> Rows(double uptime)
    {
        var frozen = Cgroup.IsFrozen;
        foreach (var p in Members(uptime))
        {
            var id = p.NamespacePid == 2 ? Cpid.ToString() : $"{Cpid}.{p.NamespacePid}";
            yield return new ProcessRow(id, Cpid.Value, Request.Group, Node, p.Pid, p.ParentPid, ProcFs.UserName(p.Uid),
                frozen ? "T" : p.State.ToString(), p.CpuPercent, p.RssKb, p.CpuMs, p.Command);
        }
    }

    /// <summary>
    /// Delivers <paramref name="signal"/> to the program, or with <paramref name="group"/> to
    /// every process of the job: SIGKILL through cgroup.kill, SIGSTOP/SIGTSTP by freezing the
    /// cgroup and SIGCONT by thawing it. Returns how many processes it reached.
    /// </summary>
    public Task<int> SignalAsync(int signal, bool group) => Task.FromResult(Signal(signal, group));

    private int Signal(int signal, bool group)
    {
        if (_exited.Task.IsCompleted)
            return 0;
        if (!group)
        {
            var main = Members().FirstOrDefault(p => p.NamespacePid == 2);
            return main is not null && Send(main.Pid, signal) ? 1 : 0;
        }
        var members = Members();
        switch (signal)
        {
            case LibC.SIGKILL:
                Cgroup.Kill();
                return Math.Max(members.Count, 1);
            case LibC.SIGSTOP or LibC.SIGTSTP:
                Cgroup.Freeze(true);
                return members.Count;
            case LibC.SIGCONT:
                Cgroup.Freeze(false);
                break;
        }
        return members.Count(p => Send(p.Pid, signal));
    }

    private static bool Send(int pid, int signal)
    {
        using var handle = ProcessHandle.Open(pid);
        return handle is not null && handle.Signal(signal);
    }
}
