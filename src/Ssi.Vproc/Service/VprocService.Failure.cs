using Microsoft.Extensions.Logging;
using Ssi.Ics;
using Ssi.Protocol;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Service;

public sealed partial class VprocService
{
    // The nodedown handler: what ran on the dead node ended by node failure, as far as this
    // origin's records go. Jobs here whose origin died run on; this node answers for them.
    private ValueTask NodeDownAsync(int node, CancellationToken ct)
    {
        var ended = _records.EndAllOn(node, new ExitInfo(ExitCodes.NodeFailure, 0, $"node {node} failed"));
        if (ended.Count > 0)
            _log.LogWarning("node {Node} is down: {Count} cluster processes started here ended by node failure ({List})", node, ended.Count, string.Join(' ', ended.Take(20)));
        var orphans = _jobs.Values.Count(j => j.Request.Origin == node && !j.Exited.IsCompleted);
        if (orphans > 0)
            _log.LogInformation("node {Node} is down: {Count} cluster processes it started run on here, answered for by this node", node, orphans);
        return ValueTask.CompletedTask;
    }

    private ValueTask<ReadOnlyMemory<byte>> ReportExitAsync(IncomingRequest request, CancellationToken ct)
    {
        RequireNode(request);
        var report = Parse(request.Payload, VprocJson.Default.ExitReport);
        _records.End(report.Cpid, report.Exit);
        return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
    }

    private async Task ReportExitAsync(int origin, int cpid, ExitInfo exit)
    {
        if (origin == LocalNode)
        {
            _records.End(cpid, exit);
            return;
        }
        var payload = Encode(new ExitReport(cpid, LocalNode, exit), VprocJson.Default.ExitReport);
        for (int attempt = 0; attempt < 3 && IsUp(origin); attempt++)
        {
            try
            {
                await _ics.RequestAsync(origin, VprocMethods.ReportExit, payload, _options.RequestTimeout, _stopping.Token).ConfigureAwait(false);
                return;
            }
            catch (SsiException e)
            {
                _log.LogDebug("could not report the end of {Cpid} to node {Origin}: {Reason}", cpid, origin, e.Message);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            await Task.Delay(200 * (attempt + 1)).ConfigureAwait(false);
        }
    }
}
