namespace Ssi.Box;

/// <summary>What a command run to completion inside a node printed, and how it exited.</summary>
/// <param name="ExitCode">The exit status (128 + signal when killed by a signal).</param>
/// <param name="StandardOutput">Everything written to stdout.</param>
/// <param name="StandardError">Everything written to stderr.</param>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>True when the command exited with status 0.</summary>
    public bool Succeeded => ExitCode == 0;
}
