using System.Text;
using System.Text.Json;
using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Daemon;

/// <summary>What the CLI asks a daemon: who it is, the member list, the cluster, events, shutdown, relaying.</summary>
internal sealed class ControlService(NodeDaemon daemon, CancellationTokenSource shutdown)
{
    private static readonly TimeSpan ForwardTimeout = TimeSpan.FromSeconds(8);

    // Methods a local caller may relay to another node; each is read-only or checked here first.
    private static readonly HashSet<ushort> Forwardable = [Methods.DaemonStatus, Methods.Nodes, Methods.Cluster, Methods.Shutdown];

    public void Map(Router router) => router
        .MapRequest(Methods.DaemonStatus, (_, _) => Reply(Status(), ContractsJson.Default.DaemonStatus))
        .MapRequest(Methods.Nodes, NodesAsync)
        .MapRequest(Methods.LoadAverage, (_, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encode(LoadAverage.Read())))
        .MapRequest(Methods.Cluster, (_, _) =>
        {
            RequireJoined();
            return Reply(daemon.Membership.GetClusterInfo(), ContractsJson.Default.ClusterInfo);
        })
        .MapRequest(Methods.Shutdown, Shutdown)
        .MapRequest(Methods.CommitProbe, CommitProbeAsync)
        .MapRequest(Methods.Forward, ForwardAsync)
        .MapStream(Methods.Events, StreamEventsAsync);

    // Loads are asked for when listed: fresh, and one 25 µs round trip per node.
    private void RequireJoined()
    {
        if (daemon.Membership.LocalNode == 0)
            throw new SsiException(Protocol.Status.NotFormed, daemon.Config.Seed is { } seed
                ? $"node {daemon.Config.Name} has not joined the cluster yet (it is joining through {seed}); its log says why it is waiting"
                : $"node {daemon.Config.Name} is still forming the cluster; try again in a moment");
    }

    private async ValueTask<ReadOnlyMemory<byte>> NodesAsync(IncomingRequest request, CancellationToken ct)
    {
        RequireJoined();
        var nodes = daemon.Membership.GetNodes();
        var loads = await Task.WhenAll(nodes.Select(n => LoadOfAsync(n, ct))).ConfigureAwait(false);
        var list = new NodeList([.. nodes.Zip(loads, (n, load) => n with { Load = load })]);
        return JsonSerializer.SerializeToUtf8Bytes(list, ContractsJson.Default.NodeList);
    }

    private async Task<double?> LoadOfAsync(NodeInfo node, CancellationToken ct)
    {
        if (node.State != NodeState.Up)
            return null;
        if (node.Number == daemon.Membership.LocalNode)
            return LoadAverage.Read();
        try
        {
            var reply = await daemon.Ics.RequestAsync(node.Number, Methods.LoadAverage, ReadOnlyMemory<byte>.Empty, LoadTimeout, ct).ConfigureAwait(false);
            return reply.Length == 8 ? System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(reply) : null;
        }
        catch (SsiException)
        {
            return null;
        }
    }

    private static readonly TimeSpan LoadTimeout = TimeSpan.FromMilliseconds(300);

    private static byte[] Encode(double? value)
    {
        var bytes = new byte[value is null ? 0 : 8];
        if (value is { } v)
            System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(bytes, v);
        return bytes;
    }

    private DaemonStatus Status() => new(daemon.Membership.LocalNode, daemon.Config.Name, daemon.Credentials.ClusterName,
        typeof(ControlService).Assembly.GetName().Version?.ToString() ?? "0", daemon.StartedAt, Environment.ProcessId);

    private ValueTask<ReadOnlyMemory<byte>> Shutdown(IncomingRequest request, CancellationToken ct)
    {
        if (!request.Peer.IsPrivileged)
            throw new SsiException(Protocol.Status.PermissionDenied, "only root may stop a node's daemon");
        shutdown.CancelAfter(TimeSpan.FromMilliseconds(50));
        return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
    }

    private async ValueTask<ReadOnlyMemory<byte>> CommitProbeAsync(IncomingRequest request, CancellationToken ct)
    {
        var took = await daemon.Membership.MeasureCommitAsync(ct).ConfigureAwait(false);
        var reply = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(reply, took.Ticks);
        return reply;
    }

    private async ValueTask<ReadOnlyMemory<byte>> ForwardAsync(IncomingRequest request, CancellationToken ct)
    {
        if (!request.Peer.IsLocal)
            throw new SsiException(Protocol.Status.PermissionDenied, "only local callers may relay requests");
        var forward = Parse(request.Payload, ContractsJson.Default.ForwardRequest);
        if (!Forwardable.Contains(forward.Method))
            throw new SsiException(Protocol.Status.InvalidArgument, $"method 0x{forward.Method:x4} cannot be relayed to another node");
        if (forward.Method == Methods.Shutdown && !request.Peer.IsPrivileged)
            throw new SsiException(Protocol.Status.PermissionDenied, "only root may stop a node's daemon");
        if (forward.Node == daemon.Membership.LocalNode)
            throw new SsiException(Protocol.Status.InvalidArgument, "that is this node: call it directly");
        if (daemon.Membership.GetNode(forward.Node) is not { } target)
            throw new SsiException(Protocol.Status.NotFound, $"there is no node {forward.Node} in this cluster; 'ssi nodes' lists them");
        if (target.State == NodeState.Down)
            throw new SsiException(Protocol.Status.Unavailable, $"node {forward.Node} ({target.Name}) is DOWN");
        return await daemon.Ics.RequestAsync(forward.Node, forward.Method, forward.Payload, ForwardTimeout, ct).ConfigureAwait(false);
    }

    private async Task StreamEventsAsync(IcsStream stream, IncomingRequest open, CancellationToken ct)
    {
        var request = Parse(open.Payload, ContractsJson.Default.EventsRequest);
        // Without --follow the kept history is replayed and the stream ends at the first event
        // that is not already there (its wait would not complete synchronously). That wait is
        // cancelled and awaited before the watch is disposed: disposing an async iterator while
        // it waits throws, and the stream was then reset under a reader still reading it.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var events = daemon.Membership.WatchAsync(request.AfterEpoch, stop.Token).GetAsyncEnumerator(stop.Token);
        try
        {
            while (true)
            {
                var next = events.MoveNextAsync();
                if (!request.Follow && !next.IsCompleted)
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                    try
                    {
                        await next.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                    break;
                }
                if (!await next.ConfigureAwait(false))
                    break;
                var line = JsonSerializer.Serialize(events.Current, ContractsJson.Default.NodeEvent) + "\n";
                await stream.WriteAsync(Encoding.UTF8.GetBytes(line), ct).ConfigureAwait(false);
            }
        }
        finally
        {
            await events.DisposeAsync().ConfigureAwait(false);
        }
        await stream.CompleteWritesAsync(ct).ConfigureAwait(false);
    }

    private static T Parse<T>(ReadOnlyMemory<byte> payload, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(payload.Span, type) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new SsiException(Protocol.Status.InvalidArgument, $"malformed {typeof(T).Name}: {e.Message}");
        }
    }

    private static ValueTask<ReadOnlyMemory<byte>> Reply<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        ValueTask.FromResult<ReadOnlyMemory<byte>>(JsonSerializer.SerializeToUtf8Bytes(value, type));
}
