namespace Ssi.Fuse;

/// <summary>What FUSE_INIT settled between the kernel and this server.</summary>
public sealed record FuseConnectionInfo
{
    /// <summary>Protocol major version (7).</summary>
    public uint ProtocolMajor { get; init; }
    /// <summary>Protocol minor version in use: the smaller of the kernel's and ours.</summary>
    public uint ProtocolMinor { get; init; }
    /// <summary>The kernel's own minor version.</summary>
    public uint KernelMinor { get; init; }
    /// <summary>Capabilities the kernel offered.</summary>
    public FuseCapabilities Offered { get; init; }
    /// <summary>Capabilities in force (offered and wanted).</summary>
    public FuseCapabilities Enabled { get; init; }
    /// <summary>Largest WRITE payload the kernel will send.</summary>
    public uint MaxWrite { get; init; }
    /// <summary>Largest READ the kernel will ask for.</summary>
    public uint MaxRead { get; init; }
    /// <summary>Readahead window in bytes.</summary>
    public uint MaxReadahead { get; init; }

    /// <summary>True when <paramref name="capability"/> is in force.</summary>
    public bool Has(FuseCapabilities capability) => (Enabled & capability) == capability;
}
