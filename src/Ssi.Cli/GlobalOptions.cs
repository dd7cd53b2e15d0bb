using System.CommandLine;

namespace Ssi.Cli;

/// <summary>Options every command understands.</summary>
internal static class GlobalOptions
{
    public static readonly Option<int?> Node = new("--node")
    {
        Description = "Address node K's daemon instead of the local one",
        Recursive = true,
        HelpName = "K",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var node))
                return node;
            result.AddError($"--node takes a node number, like --node 2 (got '{text}'); 'ssi nodes' lists them");
            return null;
        },
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
