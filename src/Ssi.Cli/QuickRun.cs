using System.Globalization;

namespace Ssi.Cli;

/// <summary>What <c>ssi run</c> was asked to do.</summary>
internal sealed record RunOptions(string[] Argv, int? Node, bool Any, bool Tty, bool Detach);

/// <summary>
/// <c>ssi run</c> in its usual spellings, without building the command tree: building it and
/// its parser took a third of a short run's time in the CLI. Anything it does not recognise
/// (help, other options, no <c>--</c>, a box to look up) goes to the full parser, which
/// reports errors and ends in the same <see cref="VprocCommands.Start"/>.
/// </summary>
internal static class QuickRun
{
    /// <summary>Parses <c>run [-n K | --any] [-t] [-d | --detach] -- CMD ARGS...</c>; null for anything else.</summary>
    public static RunOptions? Parse(string[] args)
    {
        if (args.Length < 3 || args[0] != "run")
            return null;
        int? node = null;
        bool any = false, tty = false, detach = false;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--" when i + 1 < args.Length:
                    return new RunOptions(args[(i + 1)..], node, any, tty, detach);
                case "-n" when node is null && i + 1 < args.Length
                    && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var k):
                    node = k;
                    i++;
                    break;
                case "--any" when !any:
                    any = true;
                    break;
                case "-t" when !tty:
                    tty = true;
                    break;
                case "-d" or "--detach" when !detach:
                    detach = true;
                    break;
                default:
                    return null;
            }
        }
        return null;
    }

    /// <summary>Runs <paramref name="args"/> if it is a plain ssi run with a plain daemon socket; null otherwise.</summary>
    public static int? TryRun(string[] args)
    {
        if (Parse(args) is not { } options || Target.Plain() is not { } socket)
            return null;
        return CommandLine.Guard(() => Task.FromResult(VprocCommands.Start(Target.Open(socket, null, ""), options))).GetAwaiter().GetResult();
    }
}
