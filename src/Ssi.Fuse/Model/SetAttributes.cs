namespace Ssi.Fuse;

/// <summary>Which fields of <see cref="SetAttributes"/> are to be applied (FATTR_*).</summary>
[Flags]
public enum SetAttributeFields : uint
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>chmod.</summary>
    Mode = 1 << 0,
    /// <summary>chown owner.</summary>
    Uid = 1 << 1,
    /// <summary>chown group.</summary>
    Gid = 1 << 2,
    /// <summary>truncate.</summary>
    Size = 1 << 3,
    /// <summary>Set the access time to <see cref="SetAttributes.AccessTime"/>.</summary>
    AccessTime = 1 << 4,
    /// <summary>Set the modification time to <see cref="SetAttributes.ModificationTime"/>.</summary>
    ModificationTime = 1 << 5,
    /// <summary><see cref="SetAttributes.Handle"/> is valid (ftruncate, futimens...).</summary>
    Handle = 1 << 6,
    /// <summary>Set the access time to now.</summary>
    AccessTimeNow = 1 << 7,
    /// <summary>Set the modification time to now.</summary>
    ModificationTimeNow = 1 << 8,
    /// <summary><see cref="SetAttributes.LockOwner"/> is valid.</summary>
    LockOwner = 1 << 9,
    /// <summary>Set the change time.</summary>
    ChangeTime = 1 << 10,
    /// <summary>Clear suid/sgid (with HandleKillPriv).</summary>
    KillSuidGid = 1 << 11,
}

/// <summary>A SETATTR request: the fields named by <see cref="Fields"/> are to be changed.</summary>
public readonly record struct SetAttributes
{
    /// <summary>Which fields are valid.</summary>
    public SetAttributeFields Fields { get; init; }
    /// <summary>Open file handle, when <see cref="SetAttributeFields.Handle"/> is set.</summary>
    public ulong Handle { get; init; }
    /// <summary>New size.</summary>
    public ulong Size { get; init; }
    /// <summary>Lock owner, when <see cref="SetAttributeFields.LockOwner"/> is set.</summary>
    public ulong LockOwner { get; init; }
    /// <summary>New access time.</summary>
    public TimeSpec AccessTime { get; init; }
    /// <summary>New modification time.</summary>
    public TimeSpec ModificationTime { get; init; }
    /// <summary>New change time.</summary>
    public TimeSpec ChangeTime { get; init; }
    /// <summary>New mode (permission bits; type bits unchanged).</summary>
    public uint Mode { get; init; }
    /// <summary>New owner.</summary>
    public uint Uid { get; init; }
    /// <summary>New group.</summary>
    public uint Gid { get; init; }

    /// <summary>True when <paramref name="field"/> is to be changed.</summary>
    public bool Has(SetAttributeFields field) => (Fields & field) != 0;
}
