using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ssi.Protocol;
using Ssi.Vproc;
using Ssi.Vproc.Client;
using Ssi.Vproc.Wire;

namespace Ssi.Cli;

/// <summary>Clusterwide processes: run, attach, kill, where, ps (top is in <see cref="TopCommand"/>).</summary>
internal static class VprocCommands
{
    public static Command Run()
    {
        var node = new Option<int?>("-n") { Description = "Run on node NODE (default: the node of the daemon ssi talks to)", HelpName = "NODE" };
        var any = new Option<bool>("--any") { Description = "Run on the least loaded UP node" };
        var tty = new Option<bool>("-t") { Description = "Allocate a pseudo-terminal on the target (interactive programs); the local terminal goes raw" };
        var detach = new Option<bool>("--detach", "-d") { Description = "Start in the background and print the cluster PID ('ssi attach CPID' to see its output)" };
        var argv = new Argument<string[]>("command") { Description = "The command and its arguments (put them after --)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("run", "Run a command as a cluster process, here or on another node, as if it ran locally (stdio, signals, exit status)")
        {
            node, any, tty, detach, argv,
        };
        command.SetAction((parse, ct) => CommandLine.Guard(() =>
        {
            var options = new RunOptions(parse.GetValue(argv)!, parse.GetValue(node), parse.GetValue(any), parse.GetValue(tty), parse.GetValue(detach));
            return Task.FromResult(Start(Open(parse), options));
        }));
        return command;
    }

    /// <summary>Starts a cluster process through the daemon at <paramref name="socket"/> and stays with it (ssi run).</summary>
    public static int Start(DaemonSocket socket, RunOptions options)
    {
        using var session = new RunSession(socket, options.Tty);
        if (options.Node is not null && options.Any)
            throw new SsiException(Status.InvalidArgument, "-n and --any exclude each other");
        var (rows, cols) = options.Tty ? Terminal.Size() : ((ushort)0, (ushort)0);
        int? group = int.TryParse(Environment.GetEnvironmentVariable("SSI_PGID"), NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : null;
        // Stdio that is not a terminal is offered to the daemon, which reads and writes it itself
        // for a job on another node (pipes only): the bytes then skip this process.
        var offer = options.Tty || options.Detach ? (byte)0 : (byte)(
            (Terminal.IsTerminal(0) ? 0 : StdioBits.Stdin) | (Terminal.IsTerminal(1) ? 0 : StdioBits.Stdout) | (Terminal.IsTerminal(2) ? 0 : StdioBits.Stderr));
        var request = new RunRequest(options.Argv, CallerEnvironment(), Environment.CurrentDirectory, options.Node,
            options.Any, options.Tty, rows, cols, options.Detach, group, offer);
        return session.Run(VprocMethods.Run, RunWire.Encode(request), forwardStdin: true, options.Detach, offeredStdin: (offer & StdioBits.Stdin) != 0);
    }

    public static Command Attach()
    {
        var tty = new Option<bool>("-t") { Description = "The process has a pty: put the local terminal in raw mode" };
        var cpid = new Argument<int>("cpid") { Description = "Cluster PID" };
        var command = new Command("attach", "Reattach to a cluster process's output (what it wrote meanwhile is replayed, up to 64 KiB)") { tty, cpid };
        command.SetAction((parse, ct) => CommandLine.Guard(() =>
        {
            var withTty = parse.GetValue(tty);
            using var session = new RunSession(Open(parse), withTty);
            var open = JsonSerializer.SerializeToUtf8Bytes(new AttachRequest(parse.GetValue(cpid)), VprocJson.Default.AttachRequest);
            return Task.FromResult(session.Run(VprocMethods.Attach, open, forwardStdin: withTty, detach: false));
        }));
        return command;
    }

    private static DaemonSocket Open(ParseResult parse) =>
        Target.Open(parse.GetValue(GlobalOptions.Socket), parse.GetValue(GlobalOptions.Node), parse.GetValue(GlobalOptions.Box)!);

    public static Command Kill()
    {
        var signal = new Option<string?>("--signal", "-s") { Description = "Signal name or number (default TERM); -9, -KILL, -SIGKILL also work", HelpName = "SIG" };
        var targets = new Argument<string[]>("targets") { Description = "Cluster PIDs; -PGID (after --) for a whole cluster process group", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("kill", "Send a signal to cluster processes or process groups, wherever they run") { signal, targets };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            int? number = parse.GetValue(signal) is { } named
                ? Signals.Parse(named) ?? throw new SsiException(Status.InvalidArgument, $"'{named}' is not a signal")
                : null;
            var list = new List<(int Target, bool Group)>();
            foreach (var token in parse.UnmatchedTokens.Concat(parse.GetValue(targets) ?? []))
            {
                if (token == "--")
                    continue;
                if (token.StartsWith('-') && number is null && list.Count == 0 && Signals.Parse(token[1..]) is { } sig)
                {
                    number = sig;
                    continue;
                }
                var group = token.StartsWith('-');
                if (!ClusterPid.TryParse(group ? token[1..] : token, out var cpid))
                    throw new SsiException(Status.InvalidArgument, $"'{token}' is not a cluster PID{(group ? " group" : "")} (they look like 1000001)");
                list.Add((cpid.Value, group));
            }
            if (list.Count == 0)
                throw new SsiException(Status.InvalidArgument, "usage: ssi kill [-SIG] CPID... | ssi kill -SIG -- -PGID");
            await using var client = await ListCommands.Connect(parse, ct);
            var vproc = new VprocClient(client.Connection);
            var failed = 0;
            foreach (var (target, group) in list)
            {
                try
                {
                    await vproc.KillAsync(target, number ?? 15, group, ct);
                }
                catch (SsiException e)
                {
                    Output.Error(e.Message);
                    failed++;
                }
            }
            return failed == 0 ? 0 : 1;
        }));
        return command;
    }

    public static Command Where()
    {
        var cpid = new Argument<int>("cpid") { Description = "Cluster PID" };
        var command = new Command("where", "Print the node a cluster process runs on") { cpid };
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            await using var client = await ListCommands.Connect(parse, ct);
            var record = await new VprocClient(client.Connection).WhereAsync(parse.GetValue(cpid), ct);
            if (parse.GetValue(GlobalOptions.Json))
            {
                Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(record, VprocJson.Default.ProcessRecord));
                return 0;
            }
            Console.Out.WriteLine(record.Node);
            if (record.State == ProcessState.Exited)
            {
                Output.Error($"cluster process {record.Cpid} has ended on node {record.Node}: {Describe(record.Exit)}");
                return 1;
            }
            return 0;
        }));
        return command;
    }

    public static Command Ps()
    {
        var node = new Option<int?>("-n") { Description = "Only processes on node NODE", HelpName = "NODE" };
        var user = new Option<string?>("-u") { Description = "Only processes of USER (name or uid)", HelpName = "USER" };
        var tree = new Option<bool>("--tree") { Description = "Show each cluster job's descendants under it" };
        var all = new Option<bool>("-A") { Description = "Also every node's ordinary processes (node-qualified PIDs: nK:PID)" };
        var command = new Command("ps", "List cluster processes on every UP node") { node, user, tree, all };
        command.SetAction((parse, ct) => CommandLine.Guard(async () =>
        {
            await using var client = await ListCommands.Connect(parse, ct);
            var list = await new VprocClient(client.Connection).PsAsync(parse.GetValue(all), ct);
            var rows = list.Processes.Where(r => parse.GetValue(node) is not { } n || r.Node == n)
                .Where(r => parse.GetValue(user) is not { } u || r.User == u).ToList();
            if (parse.GetValue(GlobalOptions.Json))
                Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(list with { Processes = rows }, VprocJson.Default.ProcessList));
            else
                ProcessTable.Print(rows, parse.GetValue(tree));
            foreach (var missing in list.Unreachable)
                Output.Error($"not listed: {missing}");
            return 0;
        }));
        return command;
    }

    public static string Describe(ExitInfo? exit) => exit switch
    {
        null => "status unknown",
        { Reason: { } reason } => $"{reason} (status {exit.Code})",
        { Signal: > 0 } => $"killed by SIG{Signals.Name(exit.Signal)} (status {exit.Code})",
        { Code: > 128 and <= 192 } => $"exit status {exit.Code} (128+{Signals.Name(exit.Code - 128)}: killed by that signal)",
        _ => $"exit status {exit.Code}",
    };

    // The caller's environment travels with the command (the target daemon filters it). Read
    // from environ as Environment.GetEnvironmentVariables reads it (UTF-8, entries without '='
    // skipped, the first of duplicates kept), without its two copies and a Hashtable whose
    // randomized hashing opened /dev/urandom: 60 µs of every ssi run before its request went out.
    internal static unsafe Dictionary<string, string> CallerEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var entry = Native.Environ(); entry is not null && *entry is not null; entry++)
        {
            var text = *entry;
            var equals = 0;
            while (text[equals] != '=' && text[equals] != 0)
                equals++;
            if (text[equals] == '=')
                env.TryAdd(new string((sbyte*)text, 0, equals), new string((sbyte*)text + equals + 1));
        }
        return env;
    }
}
