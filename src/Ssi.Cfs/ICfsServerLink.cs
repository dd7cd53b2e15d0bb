using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Cfs;

/// <summary>A CFS client's path to the server: over ICS to another node, or straight into the server on the server node.</summary>
public interface ICfsServerLink
{
    /// <summary>The server's node number.</summary>
    int ServerNode { get; }

    /// <summary>Sends a request and waits for the reply; throws <see cref="SsiException"/> when the server cannot be reached.</summary>
    ValueTask<ReadOnlyMemory<byte>> RequestAsync(ushort method, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken ct);

    /// <summary>Sends a one-way message, best effort.</summary>
    ValueTask SendAsync(ushort method, ReadOnlyMemory<byte> payload);
}

/// <summary>The path to a server on another node, over ICS.</summary>
public sealed class IcsServerLink(IcsNode ics, int serverNode) : ICfsServerLink
{
    /// <inheritdoc />
    public int ServerNode => serverNode;

    /// <inheritdoc />
    public async ValueTask<ReadOnlyMemory<byte>> RequestAsync(ushort method, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken ct) =>
        await ics.RequestAsync(serverNode, method, payload, timeout, ct).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask SendAsync(ushort method, ReadOnlyMemory<byte> payload)
    {
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await ics.SendAsync(serverNode, method, payload, bound.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SsiException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // One-way messages are best effort: a lost forget only keeps a node pinned on the server.
        }
    }
}

/// <summary>The path to the server in this process (the server node): the same messages, without the network.</summary>
public sealed class LocalServerLink(CfsServer server, int localNode) : ICfsServerLink
{
    /// <inheritdoc />
    public int ServerNode => localNode;

    /// <inheritdoc />
    public ValueTask<ReadOnlyMemory<byte>> RequestAsync(ushort method, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken ct) =>
        server.HandleRequestAsync(localNode, method, payload, ct);

    /// <inheritdoc />
    public ValueTask SendAsync(ushort method, ReadOnlyMemory<byte> payload)
    {
        server.HandleOneWay(localNode, method, payload);
        return ValueTask.CompletedTask;
    }
}
