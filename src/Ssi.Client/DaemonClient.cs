using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Client;

/// <summary>
/// Typed calls to a node daemon over its Unix socket (the client library behind the CLI).
/// With <see cref="TargetNode"/> set, calls are relayed by the local daemon to that node.
/// </summary>
public sealed class DaemonClient : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    private readonly Connection _connection;

    private DaemonClient(Connection connection, int? targetNode)
    {
        _connection = connection;
        TargetNode = targetNode;
    }

    /// <summary>The node the calls are for; null for the daemon at the socket itself.</summary>
    public int? TargetNode { get; }

    /// <summary>The connection to the daemon, for layers that bring their own typed calls (vproc).</summary>
    public Connection Connection => _connection;

    /// <summary>Connects to the daemon at <paramref name="socket"/>.</summary>
    public static async Task<DaemonClient> ConnectAsync(string socket, int? targetNode = null, CancellationToken ct = default) =>
        new(await LocalClient.ConnectAsync(socket, ct).ConfigureAwait(false), targetNode);

    /// <summary>Who the daemon is.</summary>
    public Task<DaemonStatus> StatusAsync(CancellationToken ct = default) =>
        CallAsync(Methods.DaemonStatus, ContractsJson.Default.DaemonStatus, ct);

    /// <summary>The member list as this node sees it.</summary>
    public Task<NodeList> NodesAsync(CancellationToken ct = default) =>
        CallAsync(Methods.Nodes, ContractsJson.Default.NodeList, ct);

    /// <summary>The cluster summary as this node sees it.</summary>
    public Task<ClusterInfo> ClusterAsync(CancellationToken ct = default) =>
        CallAsync(Methods.Cluster, ContractsJson.Default.ClusterInfo, ct);

    /// <summary>Commits one probe entry through the Raft group; returns the commit time measured at the master.</summary>
    public async Task<TimeSpan> MeasureCommitAsync(CancellationToken ct = default) =>
        TimeSpan.FromTicks(System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(await RawCallAsync(Methods.CommitProbe, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false)));

    /// <summary>Asks the daemon to leave the cluster and exit.</summary>
    public async Task ShutdownAsync(CancellationToken ct = default) =>
        await RawCallAsync(Methods.Shutdown, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);

    /// <summary>Node events after <paramref name="afterEpoch"/>; with <paramref name="follow"/>, waits for new ones.</summary>
    public async IAsyncEnumerable<NodeEvent> EventsAsync(long afterEpoch, bool follow, [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (TargetNode is not null)
            throw new SsiException(Status.InvalidArgument, "events are followed on the local node only (every node sees the same events)");
        var request = JsonSerializer.SerializeToUtf8Bytes(new EventsRequest(afterEpoch, follow), ContractsJson.Default.EventsRequest);
        await using var stream = await _connection.OpenStreamAsync(Methods.Events, request, ct).ConfigureAwait(false);
        await stream.CompleteWritesAsync(ct).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
                continue;
            yield return JsonSerializer.Deserialize(line, ContractsJson.Default.NodeEvent)
                ?? throw new SsiException(Status.Internal, "the daemon sent an empty event");
        }
    }

    private async Task<T> CallAsync<T>(ushort method, JsonTypeInfo<T> type, CancellationToken ct)
    {
        var reply = await RawCallAsync(method, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        return JsonSerializer.Deserialize(reply, type) ?? throw new SsiException(Status.Internal, "the daemon sent an empty reply");
    }

    private Task<byte[]> RawCallAsync(ushort method, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (TargetNode is not { } node)
            return _connection.RequestAsync(method, payload, CallTimeout, ct);
        var forward = JsonSerializer.SerializeToUtf8Bytes(new ForwardRequest(node, method, payload.ToArray()), ContractsJson.Default.ForwardRequest);
        return _connection.RequestAsync(Methods.Forward, forward, CallTimeout, ct);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
