using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Ssi.Bench;

/// <summary>
/// The reference peer: a plain TCP server with no framing. The first byte of a connection
/// picks the test: 'P' echoes fixed-size messages (ping-pong), 'S' swallows bytes until EOF
/// and answers with the count (stream copy).
/// </summary>
internal static class RawServer
{
    public const int MessageSize = 64;

    public static void Run(int port)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Any, port));
        listener.Listen(16);
        while (true)
        {
            var client = listener.Accept();
            client.NoDelay = true;
            new Thread(() => Serve(client)) { IsBackground = true }.Start();
        }
    }

    private static void Serve(Socket client)
    {
        using (client)
        {
            var mode = new byte[1];
            if (client.Receive(mode) != 1)
                return;
            if (mode[0] == 'P')
                PingPong(client);
            else
                Sink(client);
        }
    }

    private static void PingPong(Socket client)
    {
        var message = new byte[MessageSize];
        while (ReceiveExactly(client, message))
            client.Send(message);
    }

    private static void Sink(Socket client)
    {
        var buffer = new byte[256 * 1024];
        long total = 0;
        int read;
        while ((read = client.Receive(buffer)) > 0)
            total += read;
        var count = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(count, total);
        client.Send(count);
    }

    public static bool ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var read = socket.Receive(buffer);
            if (read == 0)
                return false;
            buffer = buffer[read..];
        }
        return true;
    }
}
