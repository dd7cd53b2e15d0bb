using System.Diagnostics;

namespace Ssi.Testing;

/// <summary>
/// The test assembly re-executed in helper mode (its Program.Main serves the modes): a separate
/// process to hold a mount or wait on a lock, and to kill with SIGKILL. Shared by the test projects
/// that link it.
/// </summary>
internal sealed class HelperProcess : IDisposable
{
    private readonly Process _process;

    private HelperProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public static HelperProcess Start(params string[] arguments)
    {
        string dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(HelperProcess).Assembly.Location);
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        return new HelperProcess(Process.Start(start)!);
    }

    /// <summary>Waits for a line of stdout equal to <paramref name="expected"/>.</summary>
    public async Task WaitForLineAsync(string expected, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            string? line = await _process.StandardOutput.ReadLineAsync(cts.Token);
            if (line is null)
                throw new InvalidOperationException($"Helper exited before printing {expected}: {await _process.StandardError.ReadToEndAsync(CancellationToken.None)}");
            if (line == expected)
                return;
        }
    }

    /// <summary>True if the helper prints <paramref name="expected"/> within <paramref name="timeout"/>.</summary>
    public async Task<bool> PrintsWithinAsync(string expected, TimeSpan timeout)
    {
        try
        {
            await WaitForLineAsync(expected, timeout);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void KillHard() => _process.Kill();

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
