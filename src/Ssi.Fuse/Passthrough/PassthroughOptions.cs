namespace Ssi.Fuse.Passthrough;

/// <summary>Caching behaviour of a <see cref="PassthroughFileSystem"/>.</summary>
public sealed record PassthroughOptions
{
    /// <summary>How long the kernel may trust a name → node binding.</summary>
    public TimeSpan EntryTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the kernel may trust attributes.</summary>
    public TimeSpan AttributeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the kernel may remember that a name does not exist (zero: not at all).</summary>
    public TimeSpan NegativeTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>Keep cached file data across opens (FOPEN_KEEP_CACHE). Safe only when nobody changes the backing files, or changes are notified.</summary>
    public bool KeepCache { get; init; }

    /// <summary>Bypass the page cache (FOPEN_DIRECT_IO).</summary>
    public bool DirectIo { get; init; }
}
