using Ssi.Fuse;

namespace Ssi.Cfs;

/// <summary>
/// The node-specific path (OpenSSI's context-dependent symlink): <c>/cluster/node</c> is a symlink that
/// each node's client answers itself, pointing at that node's own <c>nodes/N</c> directory, and lists
/// after the root directory's own entries.
/// </summary>
public sealed partial class CfsClient
{
    /// <summary>The name of the node-specific link in the root directory.</summary>
    public const string NodeLinkName = "node";

    /// <summary>The node id of the node-specific link: never handed out by the server, which counts up from 2.</summary>
    public const ulong NodeLinkId = 0x7FFF_FFFF_FFFF_FF01;

    private static readonly TimeSpec s_started = TimeSpec.Now;

    // Root listings (by directory handle) that have already shown the link: it comes after the server's
    // last entry, once per pass (a rewind to offset 0 starts a new pass).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, byte> _rootListings = new();

    private byte[] NodeLinkTarget { get; }

    private static bool IsNodeLink(ulong parent, FileName name) =>
        parent == CfsServer.RootNode && name.Span.SequenceEqual("node"u8);

    private FuseEntry NodeLinkEntry() => WithTimeouts(new FuseEntry
    {
        NodeId = NodeLinkId,
        Attributes = new InodeAttributes
        {
            Inode = NodeLinkId, Mode = FileModes.Symlink | 0x1FF, LinkCount = 1, Size = (ulong)NodeLinkTarget.Length,
            AccessTime = s_started, ModificationTime = s_started, ChangeTime = s_started, BlockSize = 4096,
        },
    });
}
