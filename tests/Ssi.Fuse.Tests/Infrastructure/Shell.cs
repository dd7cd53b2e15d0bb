using System.Diagnostics;

namespace Ssi.Fuse.Tests.Infrastructure;

/// <summary>Runs shell commands the way a person would type them.</summary>
internal static class Shell
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(string script, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Timed out: {script}");
        }
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>Runs and asserts success, returning stdout.</summary>
    public static async Task<string> CheckAsync(string script)
    {
        Result result = await RunAsync(script);
        Assert.True(result.ExitCode == 0, $"`{script}` exited {result.ExitCode}: {result.Error}{result.Output}");
        return result.Output;
    }
}
