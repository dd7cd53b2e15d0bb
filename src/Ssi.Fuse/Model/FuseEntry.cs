namespace Ssi.Fuse;

/// <summary>
/// The answer to a name lookup (LOOKUP, MKNOD, MKDIR, SYMLINK, LINK, CREATE, READDIRPLUS).
/// Each entry returned with a non-zero <see cref="NodeId"/> counts one lookup that the kernel
/// later releases with FORGET. A <see cref="NodeId"/> of 0 from LOOKUP is a negative entry the
/// kernel caches for <see cref="EntryTimeout"/>.
/// </summary>
public struct FuseEntry
{
    /// <summary>The node id the kernel uses in later requests; 1 is the root.</summary>
    public ulong NodeId { get; set; }
    /// <summary>Together with <see cref="NodeId"/> unique over the file system's lifetime.</summary>
    public ulong Generation { get; set; }
    /// <summary>How long the kernel may trust the name → node binding.</summary>
    public TimeSpan EntryTimeout { get; set; }
    /// <summary>How long the kernel may trust <see cref="Attributes"/>.</summary>
    public TimeSpan AttributeTimeout { get; set; }
    /// <summary>The node's attributes.</summary>
    public InodeAttributes Attributes { get; set; }

    /// <summary>A negative entry: the name does not exist, cached for <paramref name="timeout"/>.</summary>
    public static FuseEntry Negative(TimeSpan timeout) => new() { EntryTimeout = timeout };
}

/// <summary>The answer to GETATTR and SETATTR.</summary>
/// <param name="Attributes">The node's attributes.</param>
/// <param name="Timeout">How long the kernel may cache them.</param>
public readonly record struct AttributeReply(InodeAttributes Attributes, TimeSpan Timeout);
