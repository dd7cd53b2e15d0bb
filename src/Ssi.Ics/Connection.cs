using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ssi.Protocol;

namespace Ssi.Ics;

/// <summary>
/// One authenticated, multiplexed connection: requests with correlation ids and deadlines,
/// one-way messages and byte streams share one socket. One receive loop parses frames in
/// place; senders take turns on the socket.
/// </summary>
public sealed partial class Connection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Router _router;
    private readonly IcsCounters _counters;
    private readonly ILogger _log;
    private readonly FrameDecoder _decoder;
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _initiator;
    private int _started;
    private int _closed;

    internal Connection(Socket socket, bool initiator, PeerIdentity peer, Router router, IcsCounters counters,
        ILogger? log, int maxPayload = FrameDecoder.DefaultMaxPayload)
    {
        _socket = socket;
        _initiator = initiator;
        Peer = peer;
        _router = router;
        _counters = counters;
        _log = log ?? NullLogger.Instance;
        _decoder = new FrameDecoder(maxPayload);
        _nextStreamId = initiator ? 1UL : 2UL;
    }

    /// <summary>Who is at the other end.</summary>
    public PeerIdentity Peer { get; }

    /// <summary>True until the connection is closed by either side or fails.</summary>
    public bool IsOpen => Volatile.Read(ref _closed) == 0;

    /// <summary>True when this side dialed the connection.</summary>
    public bool IsInitiator => _initiator;

    /// <summary>Completes when the connection has closed, for whatever reason.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the connection closed, once it has.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>Largest payload this connection accepts and sends.</summary>
    public int MaxPayload => _decoder.MaxPayload;

    /// <summary>Starts the receive loop. Called once, after the handshake.</summary>
    internal void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
            _ = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Closes the connection; outstanding requests and streams fail with <see cref="Status.Unavailable"/>.</summary>
    public ValueTask DisposeAsync()
    {
        Close("closed by this side");
        return ValueTask.CompletedTask;
    }

    internal void Close(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        CloseReason = reason;
        _closing.Cancel();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        _socket.Dispose();
        FailPending(reason);
        FailStreams(reason);
        CancelIncoming();
        _completion.TrySetResult();
    }

    private SsiException Lost(string reason) =>
        new(Status.Unavailable, $"connection to {Peer} lost: {reason}");

    private readonly ConcurrentDictionary<ulong, CancellationTokenSource> _incoming = new();

    private void CancelIncoming()
    {
        foreach (var (_, cts) in _incoming)
        {
            try
            {
                cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
