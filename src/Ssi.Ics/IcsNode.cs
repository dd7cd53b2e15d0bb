using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ssi.Protocol;

namespace Ssi.Ics;

/// <summary>
/// This node's end of internode communication: accepts authenticated connections from peers
/// and keeps one multiplexed connection per peer node, dialed on first use and again after
/// it breaks, so callers never manage connections.
/// </summary>
public sealed class IcsNode : IAsyncDisposable
{
    private readonly IcsOptions _options;
    private readonly Router _router;
    private readonly ILogger _log;
    private readonly ILoggerFactory _logs;
    private readonly ConcurrentDictionary<int, PeerLink> _links = new();
    private readonly ConcurrentDictionary<Connection, byte> _all = new();
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private int _localNode;

    /// <summary>Creates the node; nothing happens until <see cref="StartAsync"/>.</summary>
    public IcsNode(IcsOptions options, Router router, ILoggerFactory? logs = null)
    {
        _options = options;
        _router = router;
        _logs = logs ?? NullLoggerFactory.Instance;
        _log = _logs.CreateLogger("ics");
    }

    /// <summary>This node's number (0 until membership assigns one).</summary>
    public int LocalNode
    {
        get => Volatile.Read(ref _localNode);
        set => Volatile.Write(ref _localNode, value);
    }

    /// <summary>This node's name.</summary>
    public string NodeName => _options.NodeName;

    /// <summary>The credentials this node proves itself with.</summary>
    public ClusterCredentials Credentials => _options.Credentials;

    /// <summary>The address peers connect to.</summary>
    public IPEndPoint ListenEndPoint => (IPEndPoint)(_listener?.LocalEndPoint ?? _options.Listen);

    /// <summary>Wire error counts.</summary>
    public IcsCounters Counters { get; } = new();

    /// <summary>Raised when the connection to a numbered peer closes (it will be redialed on next use).</summary>
    public event Action<int, string>? PeerDisconnected;

    /// <summary>Binds the listener and starts accepting peers.</summary>
    public Task StartAsync(CancellationToken ct = default)
    {
        var listener = new Socket(_options.Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(_options.Listen);
            listener.Listen(512);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new SsiException(Status.Unavailable, $"cannot listen on {_options.Listen}: {e.Message} (is another ssid running there?)");
        }
        _listener = listener;
        _ = Task.Run(() => Listener.AcceptAsync(listener, socket => _ = Task.Run(() => AcceptAsync(socket)), _log, _options.Listen.ToString(), _stopping.Token), ct);
        return Task.CompletedTask;
    }

    /// <summary>Records where node <paramref name="node"/> is reached.</summary>
    public void SetPeer(int node, IPEndPoint address)
    {
        var link = _links.GetOrAdd(node, n => new PeerLink(n));
        link.Address = address;
    }

    /// <summary>Forgets node <paramref name="node"/> and closes its connection.</summary>
    public void RemovePeer(int node)
    {
        if (_links.TryRemove(node, out var link))
            link.Current?.Close("peer removed");
    }

    /// <summary>The address known for each numbered peer.</summary>
    public IReadOnlyDictionary<int, IPEndPoint> Peers =>
        _links.Where(l => l.Value.Address is not null).ToDictionary(l => l.Key, l => l.Value.Address!);

    /// <summary>Sends a request to node <paramref name="node"/> and waits for the answer.</summary>
    public async Task<byte[]> RequestAsync(int node, ushort method, ReadOnlyMemory<byte> payload, TimeSpan timeout,
        CancellationToken ct = default)
    {
        var started = TimeProvider.System.GetTimestamp();
        var connection = await ConnectAsync(node, timeout, ct).ConfigureAwait(false);
        var left = timeout - TimeProvider.System.GetElapsedTime(started);
        return await connection.RequestAsync(method, payload, left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1), ct).ConfigureAwait(false);
    }

    /// <summary>Sends one request over a short-lived connection to an address (before node numbers are known).</summary>
    public async Task<byte[]> RequestAsync(IPEndPoint address, ushort method, ReadOnlyMemory<byte> payload, TimeSpan timeout,
        CancellationToken ct = default)
    {
        await using var connection = await DialAsync(address, expectedNode: null, ct).ConfigureAwait(false);
        return await connection.RequestAsync(method, payload, timeout, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Dials and authenticates a dedicated connection to <paramref name="address"/>, outside the
    /// per-node pool: the caller owns and disposes it (tools, benchmarks, joins).
    /// </summary>
    public Task<Connection> OpenConnectionAsync(IPEndPoint address, CancellationToken ct = default) =>
        DialAsync(address, expectedNode: null, ct);

    /// <summary>Sends a one-way message to node <paramref name="node"/>; best effort.</summary>
    public async ValueTask SendAsync(int node, ushort method, ReadOnlyMemory<byte> payload, CancellationToken ct = default)
    {
        var connection = await ConnectAsync(node, _options.ConnectTimeout, ct).ConfigureAwait(false);
        await connection.SendOneWayAsync(method, payload, ct).ConfigureAwait(false);
    }

    /// <summary>Opens a byte stream to node <paramref name="node"/>'s handler for <paramref name="method"/>.</summary>
    public async Task<IcsStream> OpenStreamAsync(int node, ushort method, ReadOnlyMemory<byte> payload, CancellationToken ct = default)
    {
        var connection = await ConnectAsync(node, _options.ConnectTimeout, ct).ConfigureAwait(false);
        return await connection.OpenStreamAsync(method, payload, ct).ConfigureAwait(false);
    }

    /// <summary>Measures one ping round trip to node <paramref name="node"/>.</summary>
    public async Task<TimeSpan> PingAsync(int node, TimeSpan timeout, CancellationToken ct = default)
    {
        var connection = await ConnectAsync(node, timeout, ct).ConfigureAwait(false);
        return await connection.PingAsync(timeout, ct).ConfigureAwait(false);
    }

    /// <summary>The open connection to node <paramref name="node"/>, dialing it if needed.</summary>
    public Task<Connection> ConnectAsync(int node, TimeSpan timeout, CancellationToken ct = default)
    {
        if (!_links.TryGetValue(node, out var link))
            throw new SsiException(Status.NotFound, $"node {node} is not known to this node");
        var current = link.Current;
        if (current is { IsOpen: true })
            return Task.FromResult(current);
        return link.DialOnceAsync(() => DialLinkAsync(link, timeout, ct));
    }

    private async Task<Connection> DialLinkAsync(PeerLink link, TimeSpan timeout, CancellationToken ct)
    {
        var address = link.Address ?? throw new SsiException(Status.NotFound, $"no address known for node {link.Node}");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
        deadline.CancelAfter(timeout < _options.ConnectTimeout + _options.HandshakeTimeout ? timeout : _options.ConnectTimeout + _options.HandshakeTimeout);
        Connection connection;
        try
        {
            connection = await DialAsync(address, link.Node, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && !_stopping.IsCancellationRequested)
        {
            // The caller's deadline passed while dialing (a busy node): that is a deadline, not a cancellation.
            throw new SsiException(Status.DeadlineExceeded, $"node {link.Node} at {address} was not reached within {timeout.TotalMilliseconds:0} ms");
        }
        Adopt(link, connection);
        return link.Current is { IsOpen: true } chosen ? chosen : connection;
    }

    /// <summary>Dials and authenticates a connection to <paramref name="address"/>.</summary>
    private async Task<Connection> DialAsync(IPEndPoint address, int? expectedNode, CancellationToken ct)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
        timeout.CancelAfter(_options.ConnectTimeout + _options.HandshakeTimeout);
        var what = expectedNode is { } n ? $"node {n} at {address}" : address.ToString();
        try
        {
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token))
            {
                connect.CancelAfter(_options.ConnectTimeout);
                await socket.ConnectAsync(address, connect.Token).ConfigureAwait(false);
            }
            var peer = await Handshake.AsClientAsync(socket, _options.Credentials, LocalNode, _options.NodeName, timeout.Token).ConfigureAwait(false);
            if (expectedNode is { } expected && peer.Node != expected && peer.Node != 0)
                throw new SsiException(Status.Unavailable, $"{address} answered as node {peer.Node}, expected node {expected}");
            Counters.Dialed();
            return Track(new Connection(socket, initiator: true, peer, _router, Counters, _logs.CreateLogger("ics.connection"), _options.MaxPayload));
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or SsiException)
        {
            socket.Dispose();
            if (e is SsiException { Status: Status.PermissionDenied } denied)
                throw new SsiException(Status.PermissionDenied, $"{what} refused this node: {denied.Message}");
            if (e is OperationCanceledException && ct.IsCancellationRequested)
                throw;
            var reason = e is OperationCanceledException ? "timed out" : e.Message;
            throw new SsiException(Status.Unavailable, $"{what} is unreachable: {reason}");
        }
    }

    private Connection Track(Connection connection)
    {
        _all[connection] = 0;
        connection.Start();
        _ = connection.Completion.ContinueWith(closed =>
        {
            _all.TryRemove(connection, out _);
            if (connection.Peer.Node > 0 && _links.TryGetValue(connection.Peer.Node, out var link) && ReferenceEquals(link.Current, connection))
                PeerDisconnected?.Invoke(connection.Peer.Node, connection.CloseReason ?? "closed");
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return connection;
    }

    // Both sides may dial at once; both then settle on the connection dialed by the lower node number.
    private void Adopt(PeerLink link, Connection connection)
    {
        lock (link)
        {
            var current = link.Current;
            if (current is not { IsOpen: true } || connection.IsInitiator == (LocalNode < link.Node))
                link.Current = connection;
        }
    }

    private async Task AcceptAsync(Socket socket)
    {
        socket.NoDelay = true;
        var remote = socket.RemoteEndPoint;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_options.HandshakeTimeout);
        try
        {
            var peer = await Handshake.AsServerAsync(socket, _options.Credentials, LocalNode, _options.NodeName, timeout.Token).ConfigureAwait(false);
            Counters.Accepted();
            var connection = Track(new Connection(socket, initiator: false, peer, _router, Counters, _logs.CreateLogger("ics.connection"), _options.MaxPayload));
            if (peer.Node > 0)
                Adopt(_links.GetOrAdd(peer.Node, n => new PeerLink(n)), connection);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or SsiException)
        {
            Counters.AuthFailed();
            var reason = e is OperationCanceledException ? "handshake timed out" : e.Message;
            _log.LogWarning("refused connection from {Remote}: {Reason}", remote, reason);
            socket.Dispose();
        }
    }

    /// <summary>Stops accepting and closes every connection.</summary>
    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener?.Dispose();
        foreach (var (connection, _) in _all)
            connection.Close("node shutting down");
        return ValueTask.CompletedTask;
    }

    /// <summary>What this node knows about one peer node.</summary>
    private sealed class PeerLink(int node)
    {
        private Task<Connection>? _dialing;

        public int Node { get; } = node;

        public IPEndPoint? Address { get; set; }

        public Connection? Current { get; set; }

        // Concurrent callers share one dial instead of racing several connections.
        public Task<Connection> DialOnceAsync(Func<Task<Connection>> dial)
        {
            lock (this)
            {
                if (_dialing is { IsCompleted: false })
                    return _dialing;
                if (Current is { IsOpen: true } open)
                    return Task.FromResult(open);
                _dialing = dial();
                return _dialing;
            }
        }
    }
}
