using Ssi.Ics;
using Ssi.Protocol;
using Ssi.Vproc.Jobs;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Service;

public sealed partial class VprocService
{
    // CLI → local: a process goes to the node it runs on; a group goes to every UP node.
    private async ValueTask<ReadOnlyMemory<byte>> KillAsync(IncomingRequest request, CancellationToken ct)
    {
        RequireLocal(request);
        RequireReady();
        var kill = Parse(request.Payload, VprocJson.Default.SignalRequest);
        if (kill.Signal is < 0 or > 64)
            throw new SsiException(Status.InvalidArgument, $"{kill.Signal} is not a signal number");
        var signal = new JobSignal(kill.Target, kill.Signal, kill.Group, request.Peer.Uid ?? 65534);
        SignalReply reply;
        if (kill.Group)
        {
            var replies = await Task.WhenAll(UpNodes().Select(n => SignalOnAsync(n.Number, signal, ct))).ConfigureAwait(false);
            reply = new SignalReply(replies.Sum(r => r.Delivered), replies.Sum(r => r.Denied));
            if (reply.Delivered == 0 && reply.Denied == 0)
                throw new SsiException(Status.NotFound, $"no cluster process group {kill.Target} on any UP node");
        }
        else
        {
            var record = await LocateAsync(kill.Target, ct).ConfigureAwait(false);
            if (record.State != ProcessState.Running)
                throw new SsiException(Status.NotFound, $"cluster process {kill.Target} has ended ({Describe(record.Exit)})");
            reply = await SignalOnAsync(record.Node, signal, ct).ConfigureAwait(false);
            if (reply.Delivered == 0 && reply.Denied == 0)
                throw new SsiException(Status.NotFound, $"cluster process {kill.Target} is not running on node {record.Node} (it may just have ended)");
        }
        if (reply.Delivered == 0 && reply.Denied > 0)
            throw new SsiException(Status.PermissionDenied, $"not permitted to signal {(kill.Group ? "group " : "")}{kill.Target}: it belongs to another user");
        return Encode(reply, VprocJson.Default.SignalReply);
    }

    private async Task<SignalReply> SignalOnAsync(int node, JobSignal signal, CancellationToken ct)
    {
        if (node == LocalNode)
            return await SignalHereAsync(signal).ConfigureAwait(false);
        try
        {
            return await AskAsync(node, VprocMethods.SignalJob, signal, VprocJson.Default.JobSignal, VprocJson.Default.SignalReply, ct).ConfigureAwait(false);
        }
        catch (SsiException)
        {
            return new SignalReply(0, 0);
        }
    }

    private async ValueTask<ReadOnlyMemory<byte>> SignalJobAsync(IncomingRequest request, CancellationToken ct)
    {
        RequireNode(request);
        return Encode(await SignalHereAsync(Parse(request.Payload, VprocJson.Default.JobSignal)).ConfigureAwait(false), VprocJson.Default.SignalReply);
    }

    // The kernel's rule for kill(2), applied per job: root, or the same uid.
    private async Task<SignalReply> SignalHereAsync(JobSignal signal)
    {
        var jobs = signal.Group
            ? _jobs.Values.Where(j => j.Request.Group == signal.Target && !j.Exited.IsCompleted)
            : _jobs.TryGetValue(signal.Target, out var one) && !one.Exited.IsCompleted ? [one] : [];
        int delivered = 0, denied = 0;
        foreach (var job in jobs)
        {
            if (signal.CallerUid != 0 && signal.CallerUid != job.Request.Uid)
            {
                denied++;
                continue;
            }
            if (signal.Signal == 0)
            {
                delivered++;
                continue;
            }
            delivered += await job.SignalAsync(signal.Signal, signal.Group).ConfigureAwait(false);
        }
        return new SignalReply(delivered, denied);
    }

    private async ValueTask<ReadOnlyMemory<byte>> ResizeAsync(IncomingRequest request, CancellationToken ct)
    {
        RequireLocal(request);
        RequireReady();
        var resize = Parse(request.Payload, VprocJson.Default.ResizeRequest);
        var record = await LocateAsync(resize.Cpid, ct).ConfigureAwait(false);
        if (request.Peer.Uid is not 0 && request.Peer.Uid != record.Uid)
            throw new SsiException(Status.PermissionDenied, $"cluster process {resize.Cpid} belongs to another user");
        if (record.Node == LocalNode)
            ResizeHere(resize);
        else
            await _ics.RequestAsync(record.Node, VprocMethods.ResizeJob, request.Payload, _options.RequestTimeout, ct).ConfigureAwait(false);
        return ReadOnlyMemory<byte>.Empty;
    }

    private ValueTask<ReadOnlyMemory<byte>> ResizeJobAsync(IncomingRequest request, CancellationToken ct)
    {
        RequireNode(request);
        ResizeHere(Parse(request.Payload, VprocJson.Default.ResizeRequest));
        return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
    }

    private void ResizeHere(ResizeRequest resize)
    {
        if (_jobs.TryGetValue(resize.Cpid, out var job))
            job.Resize(resize.Rows, resize.Cols);
    }

    private async ValueTask<ReadOnlyMemory<byte>> WhereAsync(IncomingRequest request, CancellationToken ct)
    {
        RequireLocal(request);
        RequireReady();
        return Encode(await LocateAsync(Parse(request.Payload, VprocJson.Default.WhereRequest).Cpid, ct).ConfigureAwait(false), VprocJson.Default.ProcessRecord);
    }

    private ValueTask<ReadOnlyMemory<byte>> LookupAsync(IncomingRequest request, CancellationToken ct)
    {
        RequireNode(request);
        var found = FindHere(Parse(request.Payload, VprocJson.Default.WhereRequest).Cpid)
            ?? throw new SsiException(Status.NotFound, "not known here");
        return ValueTask.FromResult(Encode(found, VprocJson.Default.ProcessRecord));
    }

    /// <summary>
    /// Where a cluster process is: this node if it runs here, else its origin's record, else
    /// (the origin is down or forgot it) whichever UP node runs it. A record that says it runs
    /// elsewhere is confirmed by that node, which knows first when it ends.
    /// </summary>
    private async Task<ProcessRecord> LocateAsync(int value, CancellationToken ct)
    {
        var record = await FindAnywhereAsync(value, ct).ConfigureAwait(false);
        if (record.State != ProcessState.Running || record.Node == LocalNode || !IsUp(record.Node))
            return record;
        try
        {
            return await AskAsync(record.Node, VprocMethods.Lookup, new WhereRequest(value), VprocJson.Default.WhereRequest, VprocJson.Default.ProcessRecord, ct).ConfigureAwait(false);
        }
        catch (SsiException)
        {
            return record;
        }
    }

    private async Task<ProcessRecord> FindAnywhereAsync(int value, CancellationToken ct)
    {
        var cpid = new ClusterPid(value);
        if (!cpid.IsValid)
            throw new SsiException(Status.InvalidArgument, $"{value} is not a cluster PID (they look like 1000001: node number, then six digits)");
        if (FindHere(value) is { } here && (here.State == ProcessState.Running || cpid.Origin == LocalNode || !IsUp(cpid.Origin)))
            return here;
        if (cpid.Origin != LocalNode && IsUp(cpid.Origin))
        {
            try
            {
                return await AskAsync(cpid.Origin, VprocMethods.Lookup, new WhereRequest(value), VprocJson.Default.WhereRequest, VprocJson.Default.ProcessRecord, ct).ConfigureAwait(false);
            }
            catch (SsiException e) when (e.Status is Status.NotFound or Status.Unavailable or Status.DeadlineExceeded)
            {
            }
        }
        var asked = UpNodes().Where(n => n.Number != LocalNode && n.Number != cpid.Origin).Select(async n =>
        {
            try
            {
                return await AskAsync(n.Number, VprocMethods.Lookup, new WhereRequest(value), VprocJson.Default.WhereRequest, VprocJson.Default.ProcessRecord, ct).ConfigureAwait(false);
            }
            catch (SsiException)
            {
                return null;
            }
        });
        var answers = (await Task.WhenAll(asked).ConfigureAwait(false)).OfType<ProcessRecord>().ToList();
        return answers.FirstOrDefault(r => r.State == ProcessState.Running) ?? answers.FirstOrDefault()
            ?? throw new SsiException(Status.NotFound, $"no cluster process {value} (its origin, node {cpid.Origin}, {(IsUp(cpid.Origin) ? "does not know it" : "is down")}, and no UP node runs it)");
    }

    // What this node knows: the job if it runs (or ran) here, else its own origin record.
    private ProcessRecord? FindHere(int cpid)
    {
        if (_jobs.TryGetValue(cpid, out var job))
        {
            var r = job.Request;
            var exited = job.Exited.IsCompleted;
            return new ProcessRecord(r.Cpid, r.Origin, LocalNode, r.Group, r.Uid, exited ? ProcessState.Exited : ProcessState.Running,
                exited ? job.Exited.Result : null, r.Argv, job.Started, $"node {LocalNode}");
        }
        return _records.Find(cpid);
    }

    private static string Describe(ExitInfo? exit) => exit switch
    {
        null => "unknown status",
        { Reason: { } reason } => $"{reason}, status {exit.Code}",
        { Signal: > 0 } => $"killed by signal {exit.Signal}",
        _ => $"exit {exit.Code}",
    };
}
