namespace Ssi.Cfs;

/// <summary>How a node's CFS client caches and how long it waits for the server.</summary>
public sealed record CfsClientOptions
{
    /// <summary>
    /// How long the kernel may trust attributes and names without asking. Coherence comes from the
    /// server's invalidations; this only bounds how long a lost invalidation can leave a stale view.
    /// </summary>
    public TimeSpan CacheTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one operation may wait for the server before it fails with EIO (lock waits excepted).</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a detached client tries to reach the server again.</summary>
    public TimeSpan ReattachInterval { get; init; } = TimeSpan.FromSeconds(1);
}
