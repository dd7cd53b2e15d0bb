using System.CommandLine;
using Ssi.Box;
using Ssi.Protocol;

namespace Ssi.Cli;

/// <summary>The command tree of <c>ssi</c> and how failures become messages and exit codes.</summary>
internal static class CommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("ssi: one Linux system over many machines (single-system-image cluster)")
        {
            ListCommands.Nodes(),
            ListCommands.Cluster(),
            ListCommands.Events(),
            BoxCommands.Up(),
            BoxCommands.Down(),
            HostCommands.Init(),
            HostCommands.Join(),
            HostCommands.Token(),
            HostCommands.Stop(),
            DemoCommand.Create(),
            VprocCommands.Run(),
            VprocCommands.Attach(),
            VprocCommands.Kill(),
            VprocCommands.Where(),
            VprocCommands.Ps(),
            TopCommand.Create(),
            FsCommands.Create(),
            RepoOnly("test", "Run the test suite (from the repository: ./ssi test)"),
            RepoOnly("bench", "Run benchmarks (from the repository: ./ssi bench [NAME])"),
        };
        root.Options.Add(GlobalOptions.Node);
        root.Options.Add(GlobalOptions.Json);
        root.Options.Add(GlobalOptions.Socket);
        root.Options.Add(GlobalOptions.Box);
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return await root.Parse(args).InvokeAsync(cancellationToken: cancel.Token);
    }

    /// <summary>Wraps a command body so that known failures print one clear line, never a stack trace.</summary>
    public static async Task<int> Guard(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (SsiException e)
        {
            Output.Error(e.Message);
            return e.Status == Status.InvalidArgument ? 2 : 1;
        }
        catch (BoxException e)
        {
            Output.Error(e.Message);
            return 1;
        }
        catch (OperationCanceledException)
        {
            Output.Error("interrupted");
            return 130;
        }
        catch (UnauthorizedAccessException e)
        {
            Output.Error($"{e.Message} (are you root?)");
            return 1;
        }
    }

    public static void RequireRoot(string what)
    {
        if (Environment.UserName != "root" && Native.GetEuid() != 0)
            throw new SsiException(Status.PermissionDenied, $"'{what}' must run as root (it creates namespaces, mounts and daemons): try 'sudo ssi {what}'");
    }

    private static Command RepoOnly(string name, string description)
    {
        var command = new Command(name, description);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(_ =>
        {
            Output.Error($"'{name}' runs from a clone of the repository: ./ssi {name}");
            return 2;
        });
        return command;
    }
}
