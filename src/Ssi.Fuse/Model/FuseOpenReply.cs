namespace Ssi.Fuse;

/// <summary>Flags of an OPEN/OPENDIR/CREATE answer (FOPEN_*).</summary>
[Flags]
public enum OpenReplyFlags : uint
{
    /// <summary>Default: page cache used, dropped on open.</summary>
    None = 0,
    /// <summary>Bypass the page cache for this open file.</summary>
    DirectIo = 1 << 0,
    /// <summary>Keep cached pages from earlier opens.</summary>
    KeepCache = 1 << 1,
    /// <summary>The file is not seekable.</summary>
    NonSeekable = 1 << 2,
    /// <summary>Allow caching of this directory's entries.</summary>
    CacheDirectory = 1 << 3,
    /// <summary>Stream-like file: no position at all.</summary>
    Stream = 1 << 4,
    /// <summary>Do not send FLUSH on close.</summary>
    NoFlush = 1 << 5,
    /// <summary>Allow parallel direct writes to this file.</summary>
    ParallelDirectWrites = 1 << 6,
}

/// <summary>The answer to OPEN and OPENDIR: a handle the kernel passes back in later requests.</summary>
/// <param name="Handle">The file system's handle (opaque to the kernel).</param>
/// <param name="Flags">Caching behaviour for this open file.</param>
public readonly record struct FuseOpenReply(ulong Handle, OpenReplyFlags Flags = OpenReplyFlags.None);

/// <summary>The answer to CREATE: the new entry and its open handle.</summary>
/// <param name="Entry">The created node (counts one lookup).</param>
/// <param name="Open">The open handle.</param>
public readonly record struct FuseCreateReply(FuseEntry Entry, FuseOpenReply Open);
