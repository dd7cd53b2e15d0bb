namespace Ssi.Box;

/// <summary>A process started inside a node with <see cref="BoxNode.Start"/>.</summary>
/// <param name="Node">The node number.</param>
/// <param name="Name">The name given in <see cref="NodeCommand.Name"/>.</param>
/// <param name="Pid">Its pid, as seen from the host (the box shares the host's pid namespace).</param>
/// <param name="PidFile">The file that records <paramref name="Pid"/>.</param>
/// <param name="LogFile">The file that receives its stdout and stderr.</param>
public sealed record NodeProcess(int Node, string Name, int Pid, string PidFile, string LogFile);
