using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Ssi.Ics;
using Ssi.Protocol;
using Ssi.Vproc.Jobs;
using Ssi.Vproc.Native;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Service;

public sealed partial class VprocService
{
    private static readonly TimeSpan FailureVerdict = TimeSpan.FromSeconds(15);
    // A node that cannot say its load within this is left out of --any's choice; a busy machine
    // can take well over 500 ms to answer, and leaving out the idle node it is then defeats --any.
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(2);

    // CLI → origin: number the process, record it, then run it here or relay to the target.
    private async Task ServeRunAsync(IcsStream client, IncomingRequest open, CancellationToken ct)
    {
        RequireLocal(open);
        RunRequest run;
        int target;
        try
        {
            RequireReady();
            run = Parse(open.Payload, VprocJson.Default.RunRequest);
            if (run.Argv.Count == 0)
                throw new SsiException(Status.InvalidArgument, "no command to run");
            target = await ChooseNodeAsync(run, ct).ConfigureAwait(false);
        }
        catch (SsiException e)
        {
            await RefuseAsync(client, e.Message, ExitCodes.CannotRun).ConfigureAwait(false);
            return;
        }
        var peer = open.Peer;
        if (target == LocalNode && await TakeStdioAsync(client, run, peer, target, ct).ConfigureAwait(false) is null)
            return;
        var cpid = _pids!.Next(_records.Contains);
        var group = run.Group is { } g && new ClusterPid(g).IsValid ? g : cpid.Value;
        var exec = new ExecRequest(cpid.Value, LocalNode, group, run.Argv, run.Environment, run.WorkingDirectory,
            peer.Uid ?? 65534, peer.Gid ?? 65534, peer.Groups, run.Tty, run.Rows, run.Cols, run.Detach);
        _records.Add(new ProcessRecord(cpid.Value, LocalNode, target, group, exec.Uid, ProcessState.Running, null, run.Argv,
            DateTimeOffset.UtcNow, $"node {LocalNode}"));
        _log.LogDebug("{Cpid}: {Command} for uid {Uid} on node {Node}", cpid, run.Argv[0], exec.Uid, target);
        if (target == LocalNode)
            await RunHereAsync(client, exec, hangupOnLoss: true, ct).ConfigureAwait(false);
        else
            await RelayAsync(client, target, VprocMethods.Exec, Encode(exec, VprocJson.Default.ExecRequest), cpid,
                () => TakeStdioAsync(client, run, peer, target, ct), hangupOnLoss: !run.Detach, ct).ConfigureAwait(false);
    }

    // Takes over the stdio the client offered, for a job on another node (see CallerStdio), and
    // tells the client what it took; null when the client is already gone.
    private async Task<CallerStdio?> TakeStdioAsync(IcsStream client, RunRequest run, PeerIdentity peer, int target, CancellationToken ct)
    {
        if (run.Stdio == 0)
            return CallerStdio.None;
        var stdio = target != LocalNode && !run.Tty && !run.Detach ? CallerStdio.Take(peer, run.Stdio) : CallerStdio.None;
        try
        {
            await OutputFrames.WriteAsync(client, OutputKind.Taken, new[] { stdio.Taken }, ct).ConfigureAwait(false);
            return stdio;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            stdio.Dispose();
            return null;
        }
    }

    private async Task<int> ChooseNodeAsync(RunRequest run, CancellationToken ct)
    {
        if (run.Node is { } node)
        {
            if (!IsUp(node))
            {
                var known = _cluster.Nodes.FirstOrDefault(n => n.Number == node);
                throw new SsiException(Status.Unavailable, known is null
                    ? $"there is no node {node} in this cluster; 'ssi nodes' lists them"
                    : $"node {node} ({known.Name}) is {known.State.ToString().ToUpperInvariant()}: choose another with -n, or --any");
            }
            return node;
        }
        if (!run.Any)
            return LocalNode;
        var loads = await Task.WhenAll(UpNodes().Select(async n => (n.Number, Load: await LoadOfAsync(n.Number, ct).ConfigureAwait(false)))).ConfigureAwait(false);
        return Placement.Choose(loads.Where(l => l.Load is not null).Select(l => new NodeLoad(l.Number, l.Load!.Value.Average, l.Load.Value.Jobs)).ToList(), LocalNode);
    }

    private async Task<(double Average, int Jobs)?> LoadOfAsync(int node, CancellationToken ct)
    {
        if (node == LocalNode)
            return LoadHere();
        try
        {
            var reply = await _ics.RequestAsync(node, VprocMethods.Load, ReadOnlyMemory<byte>.Empty, LoadTimeout, ct).ConfigureAwait(false);
            return reply.Length == 12 ? (BinaryPrimitives.ReadDoubleLittleEndian(reply), BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(8))) : null;
        }
        catch (SsiException)
        {
            return null;
        }
    }

    private (double Average, int Jobs) LoadHere()
    {
        double average = 0;
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            double.TryParse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out average);
        }
        catch (IOException)
        {
        }
        return (average, _jobs.Values.Count(j => !j.Exited.IsCompleted));
    }

    private static byte[] EncodeLoad((double Average, int Jobs) load)
    {
        var bytes = new byte[12];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, load.Average);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), load.Jobs);
        return bytes;
    }

    // Origin → target: run the job on this node for a remote origin.
    private async Task ServeExecAsync(IcsStream stream, IncomingRequest open, CancellationToken ct)
    {
        RequireNode(open);
        ExecRequest exec;
        try
        {
            RequireReady();
            exec = Parse(open.Payload, VprocJson.Default.ExecRequest);
        }
        catch (SsiException e)
        {
            await RefuseAsync(stream, "ssi: " + e.Message, ExitCodes.CannotRun).ConfigureAwait(false);
            return;
        }
        // The origin's relay sends SIGHUP itself when its client goes away; losing the origin
        // node is not a hang-up: the job runs on, listed and signalable from any node.
        await RunHereAsync(stream, exec, hangupOnLoss: false, ct).ConfigureAwait(false);
    }

    /// <summary>Starts <paramref name="exec"/> on this node and serves its stdio over <paramref name="stream"/> until it ends.</summary>
    private async Task RunHereAsync(IcsStream stream, ExecRequest exec, bool hangupOnLoss, CancellationToken ct)
    {
        Job job;
        try
        {
            job = await Job.StartAsync(exec, LocalNode, _launcher!, _cgroups!, _options.Socket).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or IOException or UnauthorizedAccessException)
        {
            var code = e is FileNotFoundException ? ExitCodes.NotFound : ExitCodes.CannotRun;
            var exit = new ExitInfo(code, 0, e.Message);
            await ReportExitAsync(exec.Origin, exec.Cpid, exit).ConfigureAwait(false);
            await RefuseAsync(stream, "ssi: " + e.Message, code).ConfigureAwait(false);
            return;
        }
        _jobs[exec.Cpid] = job;
        _ = FollowAsync(job);
        try
        {
            await OutputFrames.WriteAsync(stream, OutputKind.Started, OutputFrames.Json(new StartedInfo(exec.Cpid, LocalNode), VprocJson.Default.StartedInfo), ct).ConfigureAwait(false);
            if (exec.Detach)
            {
                await stream.CompleteWritesAsync(ct).ConfigureAwait(false);
                return;
            }
            await job.AttachAsync(stream, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            // Detached: the job's output waits for a client until then (see Job.WatchAsync).
            ClientLost(job, stream, hangupOnLoss);
            return;
        }
        await ServeAttachedAsync(job, stream, closeStdin: true, hangupOnLoss, ct).ConfigureAwait(false);
    }

    // Feeds stdin and waits for the end; a client that goes away detaches (and hangs up the job if asked).
    private static async Task ServeAttachedAsync(Job job, IcsStream stream, bool closeStdin, bool hangupOnLoss, CancellationToken ct)
    {
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = ct.Register(() => lost.TrySetResult());
        _ = Task.Run(async () =>
        {
            try
            {
                await job.PumpStdinAsync(stream, closeStdin, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                if (!job.Exited.IsCompleted)
                    lost.TrySetResult();
            }
        }, CancellationToken.None);
        await Task.WhenAny(job.Exited, lost.Task).ConfigureAwait(false);
        if (!job.Exited.IsCompleted)
            ClientLost(job, stream, hangupOnLoss);
    }

    private static void ClientLost(Job job, IcsStream stream, bool hangupOnLoss)
    {
        job.Detach(stream);
        if (hangupOnLoss)
            _ = job.SignalAsync(LibC.SIGHUP, group: false);
    }

    // Keeps an ended job known for a while (where, attach), tells its origin how it ended.
    private async Task FollowAsync(Job job)
    {
        var exit = await job.Exited.ConfigureAwait(false);
        _log.LogDebug("{Cpid} ended with {Code}", job.Cpid, exit.Code);
        await ReportExitAsync(job.Request.Origin, job.Cpid.Value, exit).ConfigureAwait(false);
        try
        {
            await Task.Delay(_options.KeepEnded, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _jobs.TryRemove(new KeyValuePair<int, Job>(job.Cpid.Value, job));
    }

    // CLI → local: attach to a running (or recently ended) cluster process wherever it is.
    private async Task ServeAttachAsync(IcsStream client, IncomingRequest open, CancellationToken ct)
    {
        RequireLocal(open);
        var request = Parse(open.Payload, VprocJson.Default.AttachRequest);
        ProcessRecord record;
        try
        {
            RequireReady();
            record = await LocateAsync(request.Cpid, ct).ConfigureAwait(false);
            if (open.Peer.Uid is not 0 && open.Peer.Uid != record.Uid)
                throw new SsiException(Status.PermissionDenied, $"cluster process {request.Cpid} belongs to another user");
        }
        catch (SsiException e)
        {
            await RefuseAsync(client, "ssi: " + e.Message, 1).ConfigureAwait(false);
            return;
        }
        if (record.Node == LocalNode)
            await AttachHereAsync(client, request.Cpid, ct).ConfigureAwait(false);
        else
            await RelayAsync(client, record.Node, VprocMethods.AttachJob, open.Payload, new ClusterPid(request.Cpid),
                () => Task.FromResult<CallerStdio?>(CallerStdio.None), hangupOnLoss: false, ct).ConfigureAwait(false);
    }

    private Task ServeAttachJobAsync(IcsStream stream, IncomingRequest open, CancellationToken ct)
    {
        RequireNode(open);
        return AttachHereAsync(stream, Parse(open.Payload, VprocJson.Default.AttachRequest).Cpid, ct);
    }

    private async Task AttachHereAsync(IcsStream stream, int cpid, CancellationToken ct)
    {
        if (!_jobs.TryGetValue(cpid, out var job))
        {
            await RefuseAsync(stream, $"ssi: cluster process {cpid} is not running on node {LocalNode}", 1).ConfigureAwait(false);
            return;
        }
        try
        {
            await OutputFrames.WriteAsync(stream, OutputKind.Started, OutputFrames.Json(new StartedInfo(cpid, LocalNode), VprocJson.Default.StartedInfo), ct).ConfigureAwait(false);
            await job.AttachAsync(stream, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            job.Detach(stream);
            return;
        }
        await ServeAttachedAsync(job, stream, closeStdin: false, hangupOnLoss: false, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Relays a run or attach stream between the local client and the node running the job:
    /// stdin bytes toward the target, whole output frames back; stdio the origin took from the
    /// client is read and written here instead, and closed before the client learns the exit.
    /// If the target's stream breaks, the cluster's verdict on that node decides: once it is
    /// DOWN, the client gets <see cref="ExitCodes.NodeFailure"/>. If the client goes away (or
    /// the reader of its stdout does), the job is hung up.
    /// </summary>
    private async Task RelayAsync(IcsStream client, int node, ushort method, ReadOnlyMemory<byte> payload, ClusterPid cpid,
        Func<Task<CallerStdio?>> takeStdio, bool hangupOnLoss, CancellationToken ct)
    {
        IcsStream remote;
        try
        {
            remote = await _ics.OpenStreamAsync(node, method, payload, ct).ConfigureAwait(false);
        }
        catch (SsiException e)
        {
            var exit = new ExitInfo(ExitCodes.NodeFailure, 0, e.Message);
            _records.End(cpid.Value, exit);
            await RefuseAsync(client, $"ssi: node {node} is unreachable: {e.Message}", ExitCodes.NodeFailure).ConfigureAwait(false);
            return;
        }
        await using (remote.ConfigureAwait(false))
        {
            // Taken once the request has left: the target starts the job meanwhile (its output
            // waits in the stream until the relay below reads it).
            using var stdio = await takeStdio().ConfigureAwait(false);
            if (stdio is null)
            {
                // The client went away before it heard what was taken: as a lost client.
                if (hangupOnLoss)
                    await SignalOnAsync(node, new JobSignal(cpid.Value, LibC.SIGHUP, false, 0), CancellationToken.None).ConfigureAwait(false);
                return;
            }
            using var stopInput = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var upstream = Task.Run(() => stdio.Input is { } input
                ? CopyInputAsync(input.ReadAsync, remote, stopInput.Token)
                : CopyInputAsync(client.ReadAsync, remote, stopInput.Token), CancellationToken.None);
            // Input stops and taken descriptors close (once no read is in flight on them)
            // before the client hears of the end: its pipeline partners see EOF with its exit.
            async Task ReleaseStdioAsync()
            {
                await stopInput.CancelAsync().ConfigureAwait(false);
                await TryAsync(() => upstream).ConfigureAwait(false);
                stdio.Dispose();
            }
            var outcome = await CopyOutputAsync(remote, client, cpid, stdio, ReleaseStdioAsync, ct).ConfigureAwait(false);
            await ReleaseStdioAsync().ConfigureAwait(false);
            switch (outcome)
            {
                case RelayOutcome.Finished:
                    await TryAsync(() => client.CompleteWritesAsync().AsTask()).ConfigureAwait(false);
                    break;
                case RelayOutcome.ClientLost:
                case RelayOutcome.ReaderGone:
                    if (hangupOnLoss)
                        await SignalOnAsync(node, new JobSignal(cpid.Value, LibC.SIGHUP, false, 0), CancellationToken.None).ConfigureAwait(false);
                    if (outcome == RelayOutcome.ReaderGone)
                        await FinishClientAsync(client, null, new ExitInfo(ReaderGoneStatus, 0, null)).ConfigureAwait(false);
                    break;
                case RelayOutcome.TargetLost:
                    var down = await _cluster.WaitForDownAsync(node, FailureVerdict, ct).ConfigureAwait(false);
                    var reason = down ? $"node {node} failed" : $"lost contact with node {node}";
                    var exit = new ExitInfo(ExitCodes.NodeFailure, 0, reason);
                    _records.End(cpid.Value, exit);
                    await FinishClientAsync(client, $"ssi: cluster process {cpid}: {reason}", exit).ConfigureAwait(false);
                    break;
            }
        }
    }

    // What a program killed by SIGPIPE returns, as a shell reports it: ssi run's status when the
    // reader of the stdout the origin took went away (as ssi run itself would end writing there).
    private const int ReaderGoneStatus = 128 + 13;

    private static Task FinishClientAsync(IcsStream client, string? message, ExitInfo exit) => TryAsync(async () =>
    {
        if (message is not null)
            await OutputFrames.WriteAsync(client, OutputKind.Message, OutputFrames.Text(message)).ConfigureAwait(false);
        await OutputFrames.WriteAsync(client, OutputKind.Exit, OutputFrames.Json(exit, VprocJson.Default.ExitInfo)).ConfigureAwait(false);
        await client.CompleteWritesAsync().ConfigureAwait(false);
    });

    private enum RelayOutcome
    {
        Finished,
        ClientLost,
        TargetLost,
        ReaderGone,
    }

    private async Task<RelayOutcome> CopyOutputAsync(IcsStream remote, IcsStream client, ClusterPid cpid, CallerStdio stdio, Func<Task> beforeExit,
        CancellationToken ct)
    {
        using var reader = new OutputFrameReader(remote);
        while (true)
        {
            (OutputKind Kind, ReadOnlyMemory<byte> Payload)? frame;
            try
            {
                frame = await reader.ReadAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return RelayOutcome.ClientLost;
            }
            catch (IOException)
            {
                return RelayOutcome.TargetLost;
            }
            if (frame is not { } f)
                return RelayOutcome.Finished;
            var sink = f.Kind switch
            {
                OutputKind.Stdout => stdio.Output,
                OutputKind.Stderr => stdio.Error,
                _ => null,
            };
            try
            {
                if (sink is not null)
                {
                    await sink.WriteAsync(f.Payload, ct).ConfigureAwait(false);
                    continue;
                }
            }
            catch (IOException)
            {
                return RelayOutcome.ReaderGone;
            }
            catch (OperationCanceledException)
            {
                return RelayOutcome.ClientLost;
            }
            if (f.Kind == OutputKind.Exit)
            {
                _records.End(cpid.Value, Parse(f.Payload, VprocJson.Default.ExitInfo));
                await beforeExit().ConfigureAwait(false);
            }
            try
            {
                await client.WriteAsync(reader.Raw, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
            {
                return RelayOutcome.ClientLost;
            }
        }
    }

    private static async Task CopyInputAsync(Func<Memory<byte>, CancellationToken, ValueTask<int>> read, IcsStream remote, CancellationToken ct)
    {
        // An ICS stream frame's worth: one read, one write per frame.
        var buffer = ArrayPool<byte>.Shared.Rent(IcsStream.ChunkSize);
        try
        {
            while (true)
            {
                var n = await read(buffer, ct).ConfigureAwait(false);
                if (n == 0)
                {
                    await remote.CompleteWritesAsync(ct).ConfigureAwait(false);
                    return;
                }
                await remote.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Tells the client why nothing runs, as an exit it can return.
    private static Task RefuseAsync(IcsStream stream, string message, int code) =>
        FinishClientAsync(stream, message, new ExitInfo(code, 0, message));

    private static async Task TryAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException or SsiException)
        {
        }
    }
}
