using Microsoft.Extensions.Logging;

namespace Ssi.Fuse;

/// <summary>How to mount and serve a FUSE file system.</summary>
public sealed record FuseMountOptions
{
    /// <summary>The capabilities asked for in INIT unless changed: what a coherent, lock-aware network file system wants.</summary>
    public const FuseCapabilities DefaultCapabilities =
        FuseCapabilities.AsyncRead | FuseCapabilities.PosixLocks | FuseCapabilities.FlockLocks |
        FuseCapabilities.AtomicOTrunc | FuseCapabilities.BigWrites | FuseCapabilities.AutoInvalidateData |
        FuseCapabilities.ReaddirPlus | FuseCapabilities.ReaddirPlusAuto | FuseCapabilities.AsyncDirectIo |
        FuseCapabilities.ParallelDirOps | FuseCapabilities.MaxPages;

    /// <summary>Threads reading /dev/fuse; each reads one request at a time. Default: 2 to 4 by core count.</summary>
    public int ReaderThreads { get; init; } = Math.Clamp(Environment.ProcessorCount, 2, 4);

    /// <summary>Largest WRITE (and READ) payload, a multiple of 4 KiB up to 1 MiB (the kernel's default page limit).</summary>
    public int MaxWrite { get; init; } = 1024 * 1024;

    /// <summary>Capabilities to ask for in INIT; only those the kernel offers are enabled.
    /// Drop <see cref="FuseCapabilities.PosixLocks"/>/<see cref="FuseCapabilities.FlockLocks"/> if the file system does not implement locks.</summary>
    public FuseCapabilities Capabilities { get; init; } = DefaultCapabilities;

    /// <summary>Let the kernel cache buffered writes (adds <see cref="FuseCapabilities.WritebackCache"/>).
    /// Safe only when no one else changes the files behind this mount.</summary>
    public bool WritebackCache { get; init; }

    /// <summary>Requests the kernel may keep in flight in the background (readahead, writeback).</summary>
    public ushort MaxBackground { get; init; } = 64;

    /// <summary>Background requests above which the kernel considers the mount congested.</summary>
    public ushort CongestionThreshold { get; init; } = 48;

    /// <summary>Mount option allow_other: users other than the mounting one may access the mount.</summary>
    public bool AllowOther { get; init; } = true;

    /// <summary>Mount option default_permissions: the kernel checks modes and owners itself (ACCESS is not sent).</summary>
    public bool DefaultPermissions { get; init; } = true;

    /// <summary>Mount read-only.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Honour set-user-id bits and device nodes (off: MS_NOSUID | MS_NODEV, as fusermount does).</summary>
    public bool AllowSuidAndDevices { get; init; }

    /// <summary>The mount's source shown in /proc/mounts.</summary>
    public string FileSystemName { get; init; } = "ssi";

    /// <summary>Subtype: the mount shows as type "fuse.&lt;subtype&gt;".</summary>
    public string? Subtype { get; init; }

    /// <summary>Mount through fusermount3 (needed when not root). Null: only when not root.</summary>
    public bool? UseFusermount { get; init; }

    /// <summary>How long <see cref="FuseMount.MountAsync"/> waits for the kernel's INIT.</summary>
    public TimeSpan InitTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where failures of handlers and of the device are reported.</summary>
    public ILogger? Logger { get; init; }
}
