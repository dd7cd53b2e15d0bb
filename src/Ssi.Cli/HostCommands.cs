using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Ssi.Client;
using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Cli;

/// <summary>Real hosts: found a cluster, join one, print a join token, stop this node.</summary>
internal static class HostCommands
{
    private const string DefaultStateDir = "/var/lib/ssi";

    private static readonly Option<string> StateDir = new("--state") { Description = "State directory of this node", DefaultValueFactory = _ => DefaultStateDir };
    private static readonly Option<string?> Listen = new("--listen") { Description = "IP address (or IP:PORT) other nodes reach this node at (default: the first non-loopback IPv4 address)" };
    private static readonly Option<string?> Name = new("--name") { Description = "This node's name (default: the host name)" };

    public static Command Init()
    {
        var cluster = new Option<string>("--cluster") { Description = "Name of the new cluster", DefaultValueFactory = _ => "ssi" };
        var command = new Command("init", "Found a new cluster with this machine as its first node; prints the join token for the others") { cluster, StateDir, Listen, Name };
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            CommandLine.RequireRoot("init");
            var credentials = ClusterCredentials.Create(parse.GetValue(cluster)!);
            var (config, dir) = Prepare(parse, credentials, seed: null);
            await StartAndWaitAsync(config, dir, ct);
            Output.Step($"cluster '{credentials.ClusterName}' founded; on each other machine run:");
            Console.WriteLine($"  ssi join {credentials.ToJoinToken(config.Listen)}");
            return 0;
        }));
        return command;
    }

    public static Command Join()
    {
        var token = new Argument<string>("token") { Description = "The join token printed by 'ssi init' or 'ssi token'" };
        var command = new Command("join", "Join this machine to a cluster") { token, StateDir, Listen, Name };
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            CommandLine.RequireRoot("join");
            var (credentials, seed) = ClusterCredentials.FromJoinToken(parse.GetValue(token)!);
            var (config, dir) = Prepare(parse, credentials, seed);
            await StartAndWaitAsync(config, dir, ct);
            Output.Step($"joined cluster '{credentials.ClusterName}'");
            return 0;
        }));
        return command;
    }

    public static Command Token()
    {
        var command = new Command("token", "Print the join token of this node's cluster (root only: it carries the cluster key)") { StateDir };
        command.SetAction(parse => CommandLine.Guard(() =>
        {
            CommandLine.RequireRoot("token");
            var dir = parse.GetValue(StateDir)!;
            var config = NodeConfig.Load(dir);
            var credentials = ClusterCredentials.Load(Path.Combine(dir, NodeConfig.CredentialsFileName));
            Console.WriteLine(credentials.ToJoinToken(config.Listen));
            return Task.FromResult(0);
        }));
        return command;
    }

    public static Command Stop()
    {
        var command = new Command("stop", "Stop a node's daemon: it leaves the cluster cleanly (root only)");
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            await using var client = await ListCommands.Connect(parse, ct);
            await client.ShutdownAsync(ct);
            Output.Step(client.TargetNode is { } n ? $"node {n} is leaving the cluster" : "this node is leaving the cluster");
            return 0;
        }));
        return command;
    }

    private static (NodeConfig Config, string Dir) Prepare(ParseResult parse, ClusterCredentials credentials, string? seed)
    {
        var dir = parse.GetValue(StateDir)!;
        if (File.Exists(Path.Combine(dir, NodeConfig.FileName)))
            throw new SsiException(Status.AlreadyExists, $"{dir} already holds a node; start it with 'ssid --state {dir}', or remove the directory to start over");
        var address = ListenAddress(parse.GetValue(Listen));
        var config = new NodeConfig
        {
            Name = parse.GetValue(Name) ?? Dns.GetHostName(),
            Listen = address.ToString(),
            RaftListen = new IPEndPoint(address.Address, address.Port + 1).ToString(),
            Socket = parse.GetValue(GlobalOptions.Socket) ?? Target.HostSocket,
            Init = seed is null,
            Seed = seed,
        };
        config.Save(dir);
        credentials.Save(Path.Combine(dir, NodeConfig.CredentialsFileName));
        return (config, dir);
    }

    private static IPEndPoint ListenAddress(string? given)
    {
        if (given is not null)
        {
            if (IPAddress.TryParse(given, out var ip))
                return new IPEndPoint(ip, NodeConfig.DefaultIcsPort);
            return NodeConfig.ParseEndPoint(given, "--listen");
        }
        var found = NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
        return found is null
            ? throw new SsiException(Status.InvalidArgument, "this machine has no non-loopback IPv4 address: give one with --listen")
            : new IPEndPoint(found, NodeConfig.DefaultIcsPort);
    }

    private static async Task StartAndWaitAsync(NodeConfig config, string dir, CancellationToken ct)
    {
        var ssid = SsidLocator.Find();
        var log = Path.Combine(dir, "ssid.log");
        using (var start = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "exec setsid -f \"$0\" --state \"$1\" >>\"$2\" 2>&1 </dev/null", ssid, dir, log])))
            await start!.WaitForExitAsync(ct);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await using var client = await DaemonClient.ConnectAsync(config.Socket, ct: ct);
                var status = await client.StatusAsync(ct);
                if (status.Node > 0)
                {
                    Output.Step($"ssid runs as node {status.Node} ({status.Name}); log: {log}");
                    return;
                }
            }
            catch (SsiException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new SsiException(Status.DeadlineExceeded, $"ssid did not come up within 30 s; see {log}");
            await Task.Delay(100, ct);
        }
    }
}
