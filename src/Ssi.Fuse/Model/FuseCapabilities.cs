namespace Ssi.Fuse;

/// <summary>
/// Capabilities exchanged in FUSE_INIT (fuse_init_in/out flags, with flags2 as the high 32 bits).
/// The kernel offers a set; the server answers with the subset it wants.
/// </summary>
[Flags]
public enum FuseCapabilities : ulong
{
    /// <summary>No capability.</summary>
    None = 0,
    /// <summary>Reads may be sent in parallel and out of order.</summary>
    AsyncRead = 1UL << 0,
    /// <summary>fcntl (POSIX) record locks go to the server instead of staying node-local.</summary>
    PosixLocks = 1UL << 1,
    /// <summary>The server handles O_TRUNC in OPEN.</summary>
    AtomicOTrunc = 1UL << 3,
    /// <summary>The server answers LOOKUP of "." and "..".</summary>
    ExportSupport = 1UL << 4,
    /// <summary>Writes larger than one page.</summary>
    BigWrites = 1UL << 5,
    /// <summary>The kernel does not apply the umask on create.</summary>
    DontMask = 1UL << 6,
    /// <summary>flock(2) locks go to the server.</summary>
    FlockLocks = 1UL << 10,
    /// <summary>The kernel drops cached pages when it sees mtime or size change.</summary>
    AutoInvalidateData = 1UL << 12,
    /// <summary>READDIRPLUS: directory entries come with their attributes.</summary>
    ReaddirPlus = 1UL << 13,
    /// <summary>The kernel decides per directory whether READDIRPLUS pays.</summary>
    ReaddirPlusAuto = 1UL << 14,
    /// <summary>Asynchronous direct I/O.</summary>
    AsyncDirectIo = 1UL << 15,
    /// <summary>Buffered writes are cached in the kernel and written back later.</summary>
    WritebackCache = 1UL << 16,
    /// <summary>The kernel treats ENOSYS from OPEN as "no open needed".</summary>
    NoOpenSupport = 1UL << 17,
    /// <summary>Lookups and readdir in one directory may run in parallel.</summary>
    ParallelDirOps = 1UL << 18,
    /// <summary>The server clears suid/sgid on write, chown and truncate.</summary>
    HandleKillPriv = 1UL << 19,
    /// <summary>The server stores POSIX ACLs.</summary>
    PosixAcl = 1UL << 20,
    /// <summary>Reading the device after an abort returns ECONNABORTED.</summary>
    AbortError = 1UL << 21,
    /// <summary>init_out.max_pages is honoured (requests larger than 128 KiB).</summary>
    MaxPages = 1UL << 22,
    /// <summary>READLINK answers are cached.</summary>
    CacheSymlinks = 1UL << 23,
    /// <summary>The kernel treats ENOSYS from OPENDIR as "no opendir needed".</summary>
    NoOpenDirSupport = 1UL << 24,
    /// <summary>Cached pages are invalidated only on explicit notification.</summary>
    ExplicitInvalidateData = 1UL << 25,
    /// <summary>flags2 is valid (needed for any capability above bit 31).</summary>
    InitExtended = 1UL << 30,
    /// <summary>Directory entries may be cached with only their expiry invalidated.</summary>
    HasExpireOnly = 1UL << 35,
    /// <summary>mmap is allowed on files opened with direct I/O.</summary>
    DirectIoAllowMmap = 1UL << 36,
}
