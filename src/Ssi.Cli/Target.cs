using Ssi.Box;
using Ssi.Client;
using Ssi.Protocol;

namespace Ssi.Cli;

/// <summary>Which daemon a command talks to, from --socket, --node, --box and what runs here.</summary>
internal static class Target
{
    public const string HostSocket = "/run/ssi/ssid.sock";

    /// <summary>A typed client of the daemon the options name.</summary>
    public static async Task<DaemonClient> ConnectAsync(string? socket, int? node, string box, CancellationToken ct)
    {
        var (sockets, inBox) = Resolve(socket, node, box);
        if (!inBox)
            return await DaemonClient.ConnectAsync(sockets[0], node, ct);
        foreach (var candidate in sockets)
        {
            try
            {
                return await DaemonClient.ConnectAsync(candidate, ct: ct);
            }
            catch (SsiException e) when (e.Status == Status.Unavailable && sockets.Count > 1)
            {
                // That node's daemon is down: the next one serves.
            }
        }
        throw NoneAnswers(box);
    }

    /// <summary>A plain socket to the daemon the options name (the session of ssi run).</summary>
    public static DaemonSocket Open(string? socket, int? node, string box)
    {
        var (sockets, inBox) = Resolve(socket, node, box);
        foreach (var candidate in sockets)
        {
            try
            {
                return DaemonSocket.Open(candidate);
            }
            catch (SsiException e) when (e.Status == Status.Unavailable && inBox && sockets.Count > 1)
            {
                // That node's daemon is down: the next one serves.
            }
        }
        throw NoneAnswers(box);
    }

    /// <summary>The socket named without options (SSI_SOCKET, else the host's), or null when a box lookup is needed.</summary>
    public static string? Plain() => FromEnvironment() ?? (File.Exists(HostSocket) ? HostSocket : null);

    private static string? FromEnvironment() =>
        Environment.GetEnvironmentVariable("SSI_SOCKET") is { Length: > 0 } fromEnv ? fromEnv : null;

    // In a box every node's socket is reachable from here: --node K goes straight to node K, and
    // without --node the first node that answers serves (so a dead node 1 does not blind the CLI).
    private static (IReadOnlyList<string> Sockets, bool InBox) Resolve(string? socket, int? node, string box)
    {
        if (node is < 1)
            throw new SsiException(Status.InvalidArgument, $"--node {node}: node numbers start at 1");
        socket ??= FromEnvironment();
        if (socket is null && !File.Exists(HostSocket) && ClusterBox.List().Any(b => b.Name == box))
        {
            var opened = ClusterBox.Open(box);
            if (node is not { } k)
                return (opened.Nodes.Select(n => n.SocketPath).ToList(), true);
            if (opened.Nodes.All(n => n.Number != k))
                throw new SsiException(Status.NotFound, $"box '{box}' has no node {k} (it has {opened.Nodes.Count}); 'ssi nodes' lists them");
            return ([opened.Node(k).SocketPath], true);
        }
        if (socket is null && !File.Exists(HostSocket) && ClusterBox.List() is { Count: > 0 } boxes)
            throw new SsiException(Status.NotFound,
                $"there is no box '{box}' here; the boxes here are: {string.Join(", ", boxes.Select(b => b.Name))} (pick one with --box NAME or SSI_BOX)");
        socket ??= HostSocket;
        if (!File.Exists(socket))
            throw new SsiException(Status.Unavailable,
                $"no daemon runs on this machine ({socket} does not exist). Start a local cluster with 'ssi up', or this node with 'ssi init' / 'ssi join TOKEN'");
        return ([socket], false);
    }

    private static SsiException NoneAnswers(string box) =>
        new(Status.Unavailable, $"no daemon of box '{box}' is running: 'ssi down' then 'ssi up' to start again");
}
