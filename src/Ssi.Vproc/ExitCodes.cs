namespace Ssi.Vproc;

/// <summary>
/// Exit statuses of cluster processes as <c>ssi run</c> returns them: the program's own code,
/// 128+N when signal N killed it (the shell's convention), and these for what is not the
/// program's doing.
/// </summary>
public static class ExitCodes
{
    /// <summary>
    /// The node the process ran on failed (or its daemon died) before the process ended: its
    /// real fate is unknown. Distinct from any code a program or a signal death produces
    /// in practice (129-192 are signals).
    /// </summary>
    public const int NodeFailure = 253;

    /// <summary>The command was not found on the target node (as in a shell).</summary>
    public const int NotFound = 127;

    /// <summary>The command could not be started (as in a shell).</summary>
    public const int CannotRun = 126;
}
