using System.Diagnostics;

namespace Ssi.Box.Native;

/// <summary>Runs a host tool (ip, unshare, nsenter) to completion and captures its output.</summary>
internal static class HostCommand
{
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments,
        string? standardInput, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
            start.ArgumentList.Add(a);

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BoxException($"cannot run {file}: {e.Message}. Is it installed? (./ssi installs iproute2 and util-linux)", e);
        }

        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (standardInput is not null)
            await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken);
        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs the tool and throws, with its error output, when it fails.</summary>
    public static async Task<string> RunCheckedAsync(string file, IEnumerable<string> arguments,
        CancellationToken cancellationToken, string? standardInput = null)
    {
        var args = arguments as IReadOnlyList<string> ?? arguments.ToList();
        var result = await RunAsync(file, args, standardInput, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new BoxException(
                $"{file} {string.Join(' ', args)} failed (exit {result.ExitCode}): {result.StandardError.Trim()}");
        }
        return result.StandardOutput;
    }
}
