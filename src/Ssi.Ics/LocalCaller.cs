using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Ssi.Ics;

/// <summary>
/// The process that connected to the daemon's Unix socket, as the kernel recorded it at
/// connect: a pidfd from SO_PEERPIDFD names that very process, never a later one that reused
/// its pid (the pid of SO_PEERCRED alone could).
/// </summary>
public sealed class LocalCaller(Socket socket)
{
    private const int SolSocket = 1;
    private const int SoPeerPidfd = 77;

    /// <summary>A new pidfd on the connecting process, owned by the caller; -1 if the connection is gone or the kernel cannot say.</summary>
    public int OpenPidfd()
    {
        try
        {
            Span<byte> raw = stackalloc byte[sizeof(int)];
            return socket.GetRawSocketOption(SolSocket, SoPeerPidfd, raw) == sizeof(int) ? MemoryMarshal.Read<int>(raw) : -1;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return -1;
        }
    }
}
