namespace Ssi.Box;

/// <summary>One box found on this machine, as listed by <see cref="ClusterBox.List"/>.</summary>
/// <param name="Name">The box name.</param>
/// <param name="Index">The box index, which picks its subnet (see <see cref="BoxAddressPlan"/>).</param>
/// <param name="Nodes">How many nodes it has.</param>
/// <param name="OwnerAlive">
/// True while the process that created the box, and has not released it, is alive.
/// </param>
/// <param name="Processes">How many live processes run inside its namespaces.</param>
public sealed record BoxStatus(string Name, int Index, int Nodes, bool OwnerAlive, int Processes)
{
    /// <summary>
    /// Left behind by a crashed run: nobody owns it and nothing runs in it. The next
    /// <see cref="ClusterBox.CleanupStaleAsync"/> (so the next <c>ssi up</c> or <c>ssi down</c>) removes it.
    /// </summary>
    public bool IsStale => !OwnerAlive && Processes == 0;
}
