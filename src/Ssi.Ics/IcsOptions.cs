using System.Net;
using Ssi.Protocol;

namespace Ssi.Ics;

/// <summary>How a node takes part in ICS.</summary>
public sealed class IcsOptions
{
    /// <summary>The cluster's credentials; peers without the same key are refused.</summary>
    public required ClusterCredentials Credentials { get; init; }

    /// <summary>This node's name, told to peers in the handshake.</summary>
    public required string NodeName { get; init; }

    /// <summary>Where to accept node connections (port 0 picks one).</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>How long to wait for a TCP connection to a peer.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a peer may take to complete the handshake.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Largest frame payload accepted from a peer.</summary>
    public int MaxPayload { get; init; } = FrameDecoder.DefaultMaxPayload;
}
