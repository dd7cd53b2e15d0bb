using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Ssi.Protocol;

namespace Ssi.Ics;

/// <summary>
/// Mutual authentication with the cluster key, before any other frame is accepted.
/// <code>
/// client → Hello 1: version, client nonce, node number, node name, cluster id
/// server → Hello 2: version, server nonce, node number, node name, MAC("server", transcript)
/// client → Hello 3: MAC("client", transcript)
/// server → Hello 4: accepted
/// </code>
/// Each side proves it holds the key by a MAC over both nonces, so neither a replay nor a
/// node without the key gets past step 3. Refusals are sent as Error frames, then the socket closes.
/// </summary>
internal static class Handshake
{
    private const byte Version = 1;
    private const int NonceSize = 32;
    private const int MacSize = 32;
    private const int MaxHelloPayload = 1024;

    public static async Task<PeerIdentity> AsClientAsync(Socket socket, ClusterCredentials credentials, int localNode,
        string localName, CancellationToken ct)
    {
        var clientHello = BuildHello(1, localNode, localName, credentials.ClusterId, null);
        await WriteAsync(socket, FrameKind.Hello, clientHello, ct).ConfigureAwait(false);

        var serverHello = await ReadHelloAsync(socket, 2, ct).ConfigureAwait(false);
        var body = serverHello.AsSpan(0, serverHello.Length - MacSize);
        var (_, peerNode, peerName, _) = ParseHello(body, expectClusterId: false);
        var expected = Mac(credentials.Key, "server", clientHello, body);
        if (!CryptographicOperations.FixedTimeEquals(expected, serverHello.AsSpan(body.Length)))
            throw new SsiException(Status.PermissionDenied, $"node {peerName} could not prove it holds the key of {credentials}: it belongs to another cluster or has other credentials");

        var finish = new byte[1 + MacSize];
        finish[0] = 3;
        Mac(credentials.Key, "client", clientHello, serverHello).CopyTo(finish, 1);
        await WriteAsync(socket, FrameKind.Hello, finish, ct).ConfigureAwait(false);
        await ReadHelloAsync(socket, 4, ct).ConfigureAwait(false);
        return new PeerIdentity(peerNode, peerName);
    }

    public static async Task<PeerIdentity> AsServerAsync(Socket socket, ClusterCredentials credentials, int localNode,
        string localName, CancellationToken ct)
    {
        var clientHello = await ReadHelloAsync(socket, 1, ct).ConfigureAwait(false);
        var (_, peerNode, peerName, clusterId) = ParseHello(clientHello, expectClusterId: true);
        if (clusterId != credentials.ClusterId)
            await RefuseAsync(socket, $"this node belongs to cluster {credentials.ClusterId}, not {clusterId}", ct).ConfigureAwait(false);

        var body = BuildHello(2, localNode, localName, null, null);
        var serverHello = new byte[body.Length + MacSize];
        body.CopyTo(serverHello, 0);
        Mac(credentials.Key, "server", clientHello, body).CopyTo(serverHello, body.Length);
        await WriteAsync(socket, FrameKind.Hello, serverHello, ct).ConfigureAwait(false);

        var finish = await ReadHelloAsync(socket, 3, ct).ConfigureAwait(false);
        var expected = Mac(credentials.Key, "client", clientHello, serverHello);
        if (finish.Length != 1 + MacSize || !CryptographicOperations.FixedTimeEquals(expected, finish.AsSpan(1)))
            await RefuseAsync(socket, "authentication failed: the cluster key does not match", ct).ConfigureAwait(false);

        await WriteAsync(socket, FrameKind.Hello, [4], ct).ConfigureAwait(false);
        return new PeerIdentity(peerNode, peerName);
    }

    private static byte[] BuildHello(byte step, int node, string name, string? clusterId, byte[]? mac)
    {
        var buffer = new byte[2 + NonceSize + 4 + 2 * 256 + (mac?.Length ?? 0)];
        buffer[0] = step;
        buffer[1] = Version;
        RandomNumberGenerator.Fill(buffer.AsSpan(2, NonceSize));
        var at = 2 + NonceSize;
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), node);
        at += 4;
        at += WireText.Write(buffer.AsSpan(at), Truncate(name));
        if (clusterId is not null)
            at += WireText.Write(buffer.AsSpan(at), Truncate(clusterId));
        return buffer[..at];
    }

    private static string Truncate(string text) => Encoding.UTF8.GetByteCount(text) <= 200 ? text : text[..50];

    private static (byte Version, int Node, string Name, string? ClusterId) ParseHello(ReadOnlySpan<byte> hello, bool expectClusterId)
    {
        try
        {
            if (hello.Length < 2 + NonceSize + 4 + 1)
                throw new FormatException("hello too short");
            if (hello[1] != Version)
                throw new SsiException(Status.InvalidArgument, $"peer speaks ICS version {hello[1]}, this node speaks {Version}");
            var node = BinaryPrimitives.ReadInt32LittleEndian(hello[(2 + NonceSize)..]);
            var rest = hello[(2 + NonceSize + 4)..];
            var name = WireText.Read(ref rest);
            var clusterId = expectClusterId ? WireText.Read(ref rest) : null;
            if (node < 0)
                throw new FormatException("negative node number");
            return (hello[1], node, name, clusterId);
        }
        catch (FormatException e)
        {
            throw new SsiException(Status.InvalidArgument, $"malformed hello: {e.Message}");
        }
    }

    private static byte[] Mac(byte[] key, string role, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.ASCII.GetBytes("ssi-ics/1 " + role));
        hmac.AppendData(first);
        hmac.AppendData(second);
        return hmac.GetHashAndReset();
    }

    private static async Task RefuseAsync(Socket socket, string reason, CancellationToken ct)
    {
        try
        {
            await WriteAsync(socket, FrameKind.Error, new ErrorReply(Status.PermissionDenied, reason).Encode(), ct).ConfigureAwait(false);
        }
        catch (SocketException)
        {
        }
        throw new SsiException(Status.PermissionDenied, reason);
    }

    private static async Task WriteAsync(Socket socket, FrameKind kind, byte[] payload, CancellationToken ct)
    {
        var frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(kind, 0, 0, payload.Length).Write(frame);
        payload.CopyTo(frame, FrameHeader.Size);
        var sent = 0;
        while (sent < frame.Length)
            sent += await socket.SendAsync(frame.AsMemory(sent), SocketFlags.None, ct).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadHelloAsync(Socket socket, byte step, CancellationToken ct)
    {
        var header = new byte[FrameHeader.Size];
        await ReadExactlyAsync(socket, header, ct).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var kind = (FrameKind)header[4];
        if (length < FrameHeader.LengthCovered || length - FrameHeader.LengthCovered > MaxHelloPayload)
            throw new SsiException(Status.InvalidArgument, $"handshake frame of {length} bytes: the peer does not speak ICS");
        var payload = new byte[length - FrameHeader.LengthCovered];
        await ReadExactlyAsync(socket, payload, ct).ConfigureAwait(false);
        if (kind == FrameKind.Error)
        {
            var refusal = ErrorReply.Decode(payload);
            throw new SsiException(refusal.Status, $"refused by the peer: {refusal.Message}");
        }
        if (kind != FrameKind.Hello || payload.Length == 0 || payload[0] != step)
            throw new SsiException(Status.PermissionDenied, $"expected handshake step {step}, got a {kind} frame: frames are accepted only after authentication");
        return payload;
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        while (!buffer.IsEmpty)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            if (read == 0)
                throw new SsiException(Status.Unavailable, "the peer closed the connection during the handshake (wrong cluster key?)");
            buffer = buffer[read..];
        }
    }
}
