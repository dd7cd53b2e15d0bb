namespace Ssi.Posix;

/// <summary>How a process ended, as waitid reports it.</summary>
/// <param name="Code">The exit code, or 128+N when killed by signal N (the shell's convention).</param>
/// <param name="Signal">The signal that killed it, or 0 when it exited.</param>
public readonly record struct WaitStatus(int Code, int Signal);
