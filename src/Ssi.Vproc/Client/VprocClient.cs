using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ssi.Ics;
using Ssi.Protocol;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Client;

/// <summary>Typed vproc calls to the local daemon over its Unix socket (what the CLI uses).</summary>
public sealed class VprocClient(Connection connection)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Starts a cluster process; the stream carries stdin forward and output frames back.</summary>
    public Task<IcsStream> RunAsync(RunRequest request, CancellationToken ct = default) =>
        connection.OpenStreamAsync(VprocMethods.Run, RunWire.Encode(request), ct);

    /// <summary>Attaches to a cluster process's output.</summary>
    public Task<IcsStream> AttachAsync(int cpid, CancellationToken ct = default) =>
        connection.OpenStreamAsync(VprocMethods.Attach, JsonSerializer.SerializeToUtf8Bytes(new AttachRequest(cpid), VprocJson.Default.AttachRequest), ct);

    /// <summary>Signals a cluster process, or with <paramref name="group"/> every process of a cluster process group.</summary>
    public Task<SignalReply> KillAsync(int target, int signal, bool group, CancellationToken ct = default) =>
        CallAsync(VprocMethods.Kill, new SignalRequest(target, signal, group), VprocJson.Default.SignalRequest, VprocJson.Default.SignalReply, ct);

    /// <summary>Where a cluster process runs and what its record says.</summary>
    public Task<ProcessRecord> WhereAsync(int cpid, CancellationToken ct = default) =>
        CallAsync(VprocMethods.Where, new WhereRequest(cpid), VprocJson.Default.WhereRequest, VprocJson.Default.ProcessRecord, ct);

    /// <summary>Every cluster process on every UP node (with <paramref name="all"/>, every process).</summary>
    public Task<ProcessList> PsAsync(bool all, CancellationToken ct = default) =>
        CallAsync(VprocMethods.Ps, new PsRequest(all), VprocJson.Default.PsRequest, VprocJson.Default.ProcessList, ct);

    /// <summary>Tells a cluster process with a pty its terminal's new size.</summary>
    public async Task ResizeAsync(int cpid, ushort rows, ushort cols, CancellationToken ct = default) =>
        await connection.RequestAsync(VprocMethods.Resize, JsonSerializer.SerializeToUtf8Bytes(new ResizeRequest(cpid, rows, cols), VprocJson.Default.ResizeRequest), CallTimeout, ct).ConfigureAwait(false);

    private async Task<TReply> CallAsync<TRequest, TReply>(ushort method, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TReply> replyType, CancellationToken ct)
    {
        var reply = await connection.RequestAsync(method, JsonSerializer.SerializeToUtf8Bytes(request, requestType), CallTimeout, ct).ConfigureAwait(false);
        return JsonSerializer.Deserialize(reply, replyType) ?? throw new SsiException(Status.Internal, "the daemon sent an empty reply");
    }
}
