namespace Ssi.Box;

/// <summary>
/// A long-running program to start inside a node (its daemon, or any process a test needs).
/// </summary>
/// <param name="Name">
/// Names the process within its node: the pidfile is <c>&lt;state dir&gt;/&lt;Name&gt;.pid</c>
/// and, unless <see cref="LogFile"/> is given, the log is <c>&lt;state dir&gt;/&lt;Name&gt;.log</c>.
/// Letters, digits, '-', '_' and '.' only.
/// </param>
/// <param name="Executable">The program, an absolute path or a name looked up in PATH.</param>
/// <param name="Arguments">Its arguments, not including the program itself.</param>
public sealed record NodeCommand(string Name, string Executable, IReadOnlyList<string> Arguments)
{
    /// <summary>Variables added to (or replacing those of) the caller's environment.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Where stdout and stderr are appended; defaults to the node's state directory.</summary>
    public string? LogFile { get; init; }

    /// <summary>The working directory; defaults to the node's state directory.</summary>
    public string? WorkingDirectory { get; init; }
}
