using System.Diagnostics;
using Ssi.Protocol;

namespace Ssi.Cli;

/// <summary>Runs the demo's command lines through /bin/sh, exactly as a user would type them.</summary>
internal sealed class DemoShell(string box)
{
    /// <summary>Prints the line, runs it, echoes its output, and checks its exit code.</summary>
    public async Task<string> RunAsync(string line, int expect)
    {
        Console.WriteLine($"$ {line}");
        using var process = Process.Start(Prepare(line, capture: true))!;
        var output = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output;
        Console.Write(text);
        if (process.ExitCode != expect)
            throw new SsiException(Status.Internal, $"the demo step '{line}' exited with {process.ExitCode}, expected {expect}");
        return text;
    }

    /// <summary>Starts the line in the background (its output goes straight to the terminal).</summary>
    public Task Start(string line)
    {
        Console.WriteLine($"$ {line} &");
        var process = Process.Start(Prepare(line, capture: false))!;
        return process.WaitForExitAsync().ContinueWith(_ => process.Dispose(), TaskScheduler.Default);
    }

    private ProcessStartInfo Prepare(string line, bool capture)
    {
        var start = new ProcessStartInfo("/bin/sh", ["-c", line]) { RedirectStandardOutput = capture };
        var here = Path.GetDirectoryName(Environment.ProcessPath) ?? ".";
        start.Environment["PATH"] = $"{here}:{Environment.GetEnvironmentVariable("PATH")}";
        start.Environment["SSI_BOX"] = box;
        start.Environment.Remove("SSI_SOCKET");
        return start;
    }
}
