using Ssi.Box;
using Ssi.Client;
using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Cli;

/// <summary>Which daemon a command talks to, from --socket, --node, --box and what runs here.</summary>
internal static class Target
{
    public const string HostSocket = "/run/ssi/ssid.sock";

    public static async Task<DaemonClient> ConnectAsync(string? socket, int? node, string box, CancellationToken ct)
    {
        if (node is < 1)
            throw new SsiException(Status.InvalidArgument, $"--node {node}: node numbers start at 1");
        socket ??= Environment.GetEnvironmentVariable("SSI_SOCKET") is { Length: > 0 } fromEnv ? fromEnv : null;
        if (socket is null && !File.Exists(HostSocket) && ClusterBox.List().Any(b => b.Name == box))
            return await ConnectInBoxAsync(box, node, ct);
        if (socket is null && !File.Exists(HostSocket) && ClusterBox.List() is { Count: > 0 } boxes)
            throw new SsiException(Status.NotFound,
                $"there is no box '{box}' here; the boxes here are: {string.Join(", ", boxes.Select(b => b.Name))} (pick one with --box NAME or SSI_BOX)");
        socket ??= HostSocket;
        if (!File.Exists(socket))
            throw new SsiException(Status.Unavailable,
                $"no daemon runs on this machine ({socket} does not exist). Start a local cluster with 'ssi up', or this node with 'ssi init' / 'ssi join TOKEN'");
        return await DaemonClient.ConnectAsync(socket, node, ct);
    }

    // In a box every node's socket is reachable from here: --node K goes straight to node K, and
    // without --node the first node that answers serves (so a dead node 1 does not blind the CLI).
    private static async Task<DaemonClient> ConnectInBoxAsync(string name, int? node, CancellationToken ct)
    {
        var box = ClusterBox.Open(name);
        if (node is { } k)
        {
            if (box.Nodes.All(n => n.Number != k))
                throw new SsiException(Status.NotFound, $"box '{name}' has no node {k} (it has {box.Nodes.Count}); 'ssi nodes' lists them");
            return await DaemonClient.ConnectAsync(box.Node(k).SocketPath, ct: ct);
        }
        foreach (var candidate in box.Nodes)
        {
            try
            {
                return await DaemonClient.ConnectAsync(candidate.SocketPath, ct: ct);
            }
            catch (SsiException e) when (e.Status == Status.Unavailable)
            {
                // That node's daemon is down: the next one serves.
            }
        }
        throw new SsiException(Status.Unavailable, $"no daemon of box '{name}' is running: 'ssi down' then 'ssi up' to start again");
    }
}
