using System.Diagnostics;
using System.Text.Json;
using Ssi.Vproc.Wire;

namespace Ssi.ClusterTests;

/// <summary>Runs <c>ssi</c> commands through bash against one box, so tests can pipe and redirect as a person would.</summary>
internal sealed class VprocShell(TestBox box)
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public TestBox Box { get; } = box;

    public ProcessStartInfo StartInfo(string script)
    {
        // Default signal dispositions, as a terminal's shell has them: a test run started in the
        // background (cmd &) inherits SIGINT and SIGQUIT ignored, and ssi run, like any program,
        // keeps them ignored, so the tests that send SIGINT hung.
        var start = new ProcessStartInfo("env", ["--default-signal", "bash", "-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = "/tmp",
        };
        start.Environment["SSI_BOX"] = Box.Box.Name;
        start.Environment["SSI_SSID"] = Path.Combine(AppContext.BaseDirectory, "ssid");
        start.Environment["SSI_SOCKET"] = "";
        start.Environment["PATH"] = AppContext.BaseDirectory.TrimEnd('/') + ":" + Environment.GetEnvironmentVariable("PATH");
        return start;
    }

    /// <summary>Runs <paramref name="script"/> (bash; <c>ssi</c> is on PATH) to completion.</summary>
    public async Task<(int Exit, string Out, string Err)> RunAsync(string script)
    {
        using var process = Process.Start(StartInfo(script))!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Patience);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Starts <paramref name="script"/> and leaves it running.</summary>
    public Process Start(string script) => Process.Start(StartInfo(script))!;

    /// <summary>Starts a detached cluster process and returns its cluster PID.</summary>
    public async Task<int> DetachAsync(string runOptions, string command)
    {
        var (exit, output, error) = await RunAsync($"ssi run {runOptions} --detach -- {command}");
        Assert.True(exit == 0, $"ssi run --detach failed ({exit}): {error}");
        return int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<ProcessList> PsAsync(string options = "")
    {
        var (exit, output, error) = await RunAsync($"ssi ps --json {options}");
        Assert.True(exit == 0, $"ssi ps failed ({exit}): {error}");
        return JsonSerializer.Deserialize(output, VprocJson.Default.ProcessList)!;
    }

    /// <summary>Waits until <paramref name="condition"/> holds for ps's rows.</summary>
    public async Task<ProcessList> WaitForPsAsync(Func<IReadOnlyList<ProcessRow>, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var list = await PsAsync();
            if (condition(list.Processes))
                return list;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"ssi ps never showed {what}; last: {string.Join("; ", list.Processes.Select(p => $"{p.Id}@{p.Node} {p.Command}"))}");
            await Task.Delay(100);
        }
    }
}
