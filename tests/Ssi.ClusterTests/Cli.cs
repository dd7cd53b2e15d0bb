using System.Diagnostics;
using Ssi.Box;

namespace Ssi.ClusterTests;

/// <summary>Runs the real <c>ssi</c> command line, on the host or inside a box node.</summary>
internal static class Cli
{
    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, "ssi");

    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Path, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["SSI_SSID"] = System.IO.Path.Combine(AppContext.BaseDirectory, "ssid");
        start.Environment["SSI_SOCKET"] = "";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output, await error);
    }

    public static async Task<(int Exit, string Out, string Err)> RunInAsync(BoxNode node, params string[] args)
    {
        var result = await node.RunAsync(Path, args);
        return (result.ExitCode, result.StandardOutput, result.StandardError);
    }
}
