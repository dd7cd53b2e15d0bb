using System.CommandLine;

namespace Ssi.Cli;

/// <summary>Options every command understands.</summary>
internal static class GlobalOptions
{
    public static readonly Option<int?> Node = new("--node")
    {
        Description = "Address node K's daemon instead of the local one",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON",
        Recursive = true,
    };

    public static readonly Option<string?> Socket = new("--socket")
    {
        Description = "Path of the daemon's Unix socket (default: $SSI_SOCKET, /run/ssi/ssid.sock, else the local box)",
        Recursive = true,
    };

    public static readonly Option<string> Box = new("--box")
    {
        Description = "Name of the cluster-in-a-box to use",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SSI_BOX") is { Length: > 0 } box ? box : "ssi",
    };
}
