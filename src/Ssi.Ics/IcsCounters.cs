namespace Ssi.Ics;

/// <summary>What went wrong on the wire, counted for <c>ssi</c> status output and tests.</summary>
public sealed class IcsCounters
{
    private long _malformed;
    private long _truncated;
    private long _authFailures;
    private long _connectionsAccepted;
    private long _connectionsDialed;

    /// <summary>Connections closed because a frame was malformed or oversized.</summary>
    public long MalformedFrames => Interlocked.Read(ref _malformed);

    /// <summary>Connections that ended in the middle of a frame.</summary>
    public long TruncatedFrames => Interlocked.Read(ref _truncated);

    /// <summary>Peers refused by the handshake (wrong cluster, wrong key, no key).</summary>
    public long AuthFailures => Interlocked.Read(ref _authFailures);

    /// <summary>Inbound connections authenticated.</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);

    /// <summary>Outbound connections authenticated.</summary>
    public long ConnectionsDialed => Interlocked.Read(ref _connectionsDialed);

    internal void Malformed() => Interlocked.Increment(ref _malformed);

    internal void Truncated() => Interlocked.Increment(ref _truncated);

    internal void AuthFailed() => Interlocked.Increment(ref _authFailures);

    internal void Accepted() => Interlocked.Increment(ref _connectionsAccepted);

    internal void Dialed() => Interlocked.Increment(ref _connectionsDialed);
}
