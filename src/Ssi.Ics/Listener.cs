using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Ssi.Ics;

/// <summary>The accept loop shared by the node listener and the local socket.</summary>
internal static class Listener
{
    /// <summary>Accepts until <paramref name="ct"/> is cancelled or the socket is closed; a failed accept is logged and skipped.</summary>
    public static async Task AcceptAsync(Socket listener, Action<Socket> accepted, ILogger log, string where, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                log.LogWarning("accept on {Where} failed: {Reason}", where, e.Message);
                continue;
            }
            accepted(socket);
        }
    }
}
