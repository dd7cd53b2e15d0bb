using System.Collections.Frozen;

namespace Ssi.Ics;

/// <summary>An incoming request; the payload is the caller's and stays valid until the handler completes.</summary>
public sealed class IncomingRequest(PeerIdentity peer, ushort method, ReadOnlyMemory<byte> payload)
{
    /// <summary>Who sent it.</summary>
    public PeerIdentity Peer { get; } = peer;

    /// <summary>The method number.</summary>
    public ushort Method { get; } = method;

    /// <summary>The request body.</summary>
    public ReadOnlyMemory<byte> Payload { get; } = payload;
}

/// <summary>Answers a request; throw <see cref="Protocol.SsiException"/> to send an error reply.</summary>
public delegate ValueTask<ReadOnlyMemory<byte>> RequestHandler(IncomingRequest request, CancellationToken ct);

/// <summary>Takes a one-way message. Must not block: hand long work to a task.</summary>
public delegate void OneWayHandler(PeerIdentity peer, ushort method, ReadOnlyMemory<byte> payload);

/// <summary>Serves a stream opened by a peer; the stream is reset if the handler returns without completing it.</summary>
public delegate Task StreamHandler(IcsStream stream, IncomingRequest open, CancellationToken ct);

/// <summary>
/// The dispatch table: which handler serves which method. Shared by node connections and the
/// local socket, so a service is written once. Register everything before serving.
/// </summary>
public sealed class Router
{
    private readonly Dictionary<ushort, RequestHandler> _requests = [];
    private readonly Dictionary<ushort, OneWayHandler> _oneWays = [];
    private readonly Dictionary<ushort, StreamHandler> _streams = [];
    // Request methods whose handlers borrow the payload (MapRequestLendingPayload); written before serving only.
    private readonly HashSet<ushort> _lending = [];
    private FrozenDictionary<ushort, RequestHandler>? _frozenRequests;
    private FrozenDictionary<ushort, OneWayHandler>? _frozenOneWays;
    private FrozenDictionary<ushort, StreamHandler>? _frozenStreams;

    /// <summary>Serves <paramref name="method"/> requests with <paramref name="handler"/>.</summary>
    public Router MapRequest(ushort method, RequestHandler handler) => Add(_requests, method, handler);

    /// <summary>
    /// Serves <paramref name="method"/> requests with <paramref name="handler"/>, which reads the payload only until
    /// its task completes and never answers with it: the payload is then lent from a pooled buffer and taken back
    /// afterwards (megabyte payloads cost no large-object allocation per request).
    /// </summary>
    public Router MapRequestLendingPayload(ushort method, RequestHandler handler)
    {
        Add(_requests, method, handler);
        lock (_requests)
            _lending.Add(method);
        return this;
    }

    /// <summary>Takes <paramref name="method"/> one-way messages with <paramref name="handler"/>.</summary>
    public Router MapOneWay(ushort method, OneWayHandler handler) => Add(_oneWays, method, handler);

    /// <summary>Serves streams opened for <paramref name="method"/> with <paramref name="handler"/>.</summary>
    public Router MapStream(ushort method, StreamHandler handler) => Add(_streams, method, handler);

    internal RequestHandler? FindRequest(ushort method) => Lookup(ref _frozenRequests, _requests, method);

    internal RequestHandler? FindRequest(ushort method, out bool lendsPayload)
    {
        var handler = FindRequest(method);
        lendsPayload = handler is not null && _lending.Contains(method);
        return handler;
    }

    internal OneWayHandler? FindOneWay(ushort method) => Lookup(ref _frozenOneWays, _oneWays, method);

    internal StreamHandler? FindStream(ushort method) => Lookup(ref _frozenStreams, _streams, method);

    private Router Add<T>(Dictionary<ushort, T> table, ushort method, T handler)
    {
        lock (table)
        {
            if (!table.TryAdd(method, handler))
                throw new InvalidOperationException($"method 0x{method:x4} is already mapped");
            _frozenRequests = null;
            _frozenOneWays = null;
            _frozenStreams = null;
        }
        return this;
    }

    // Lookups happen per frame: a frozen copy is read without locks.
    private static T? Lookup<T>(ref FrozenDictionary<ushort, T>? frozen, Dictionary<ushort, T> table, ushort method)
        where T : class
    {
        var snapshot = Volatile.Read(ref frozen);
        if (snapshot is null)
        {
            lock (table)
                snapshot = table.ToFrozenDictionary();
            Volatile.Write(ref frozen, snapshot);
        }
        return snapshot.GetValueOrDefault(method);
    }
}
