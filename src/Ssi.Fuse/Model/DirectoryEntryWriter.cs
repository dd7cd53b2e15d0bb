using System.Runtime.InteropServices;
using Ssi.Fuse.Protocol;

namespace Ssi.Fuse;

/// <summary>
/// Packs directory entries into a READDIR or READDIRPLUS reply (struct fuse_dirent /
/// fuse_direntplus, each padded to 8 bytes) until the kernel's buffer is full.
/// </summary>
/// <remarks>
/// Each entry carries the offset of the entry after it; the kernel passes that offset back to
/// continue the listing. In READDIRPLUS mode an entry added with a non-zero node id counts one
/// lookup, exactly like LOOKUP, except "." and ".." which are always sent without a node.
/// </remarks>
public sealed class DirectoryEntryWriter
{
    private readonly Memory<byte> _destination;

    internal DirectoryEntryWriter(Memory<byte> destination, bool plus)
    {
        _destination = destination;
        IsPlus = plus;
    }

    /// <summary>True for READDIRPLUS: entries should come with attributes (<see cref="TryAddPlus"/>).</summary>
    public bool IsPlus { get; }

    /// <summary>Bytes written so far.</summary>
    public int Length { get; private set; }

    /// <summary>Number of entries written so far.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Adds an entry without attributes. In READDIRPLUS mode the entry is sent with node id 0,
    /// which tells the kernel to look it up on its own; no lookup is counted.
    /// </summary>
    /// <param name="name">Entry name (no NUL).</param>
    /// <param name="inode">Inode number shown in d_ino.</param>
    /// <param name="type">DT_* type (<see cref="InodeAttributes.DirectoryEntryType"/>), 0 if unknown.</param>
    /// <param name="nextOffset">Offset of the next entry, passed back by the kernel to continue.</param>
    /// <returns>False when the entry does not fit: stop and return.</returns>
    public bool TryAdd(ReadOnlySpan<byte> name, ulong inode, uint type, long nextOffset)
    {
        if (IsPlus)
        {
            var entry = new FuseEntry { Attributes = new InodeAttributes { Inode = inode, Mode = type << 12 } };
            return TryAddPlusCore(name, entry, nextOffset, forceNoNode: true);
        }
        int needed = Align(DirentWire.Size + name.Length);
        if (Length + needed > _destination.Length)
            return false;
        Span<byte> slot = _destination.Span.Slice(Length, needed);
        WriteDirent(slot, name, inode, type, nextOffset);
        Length += needed;
        Count++;
        return true;
    }

    /// <summary>
    /// Adds an entry with its attributes (READDIRPLUS). When it returns true and
    /// <paramref name="entry"/> has a non-zero node id and the name is not "." or "..",
    /// the kernel counts one lookup of that node.
    /// </summary>
    /// <returns>False when the entry does not fit: stop and return.</returns>
    public bool TryAddPlus(ReadOnlySpan<byte> name, in FuseEntry entry, long nextOffset)
    {
        if (!IsPlus)
            return TryAdd(name, entry.Attributes.Inode, entry.Attributes.DirectoryEntryType, nextOffset);
        return TryAddPlusCore(name, entry, nextOffset, forceNoNode: false);
    }

    /// <summary>True if an entry added with <paramref name="name"/> would count a lookup in READDIRPLUS mode.</summary>
    public static bool CountsLookup(ReadOnlySpan<byte> name) => !(name.SequenceEqual("."u8) || name.SequenceEqual(".."u8));

    private bool TryAddPlusCore(ReadOnlySpan<byte> name, in FuseEntry entry, long nextOffset, bool forceNoNode)
    {
        int needed = Align(EntryOut.Size + DirentWire.Size + name.Length);
        if (Length + needed > _destination.Length)
            return false;
        Span<byte> slot = _destination.Span.Slice(Length, needed);
        EntryOut wire = WireConvert.ToWire(entry);
        if (forceNoNode || !CountsLookup(name))
        {
            wire = default;
            wire.Attr.Ino = entry.Attributes.Inode;
            wire.Attr.Mode = entry.Attributes.Mode;
        }
        MemoryMarshal.Write(slot, in wire);
        WriteDirent(slot[EntryOut.Size..], name, entry.Attributes.Inode, entry.Attributes.DirectoryEntryType, nextOffset);
        Length += needed;
        Count++;
        return true;
    }

    private static void WriteDirent(Span<byte> slot, ReadOnlySpan<byte> name, ulong inode, uint type, long nextOffset)
    {
        var dirent = new DirentWire { Ino = inode, Offset = (ulong)nextOffset, NameLength = (uint)name.Length, Type = type };
        MemoryMarshal.Write(slot, in dirent);
        name.CopyTo(slot[DirentWire.Size..]);
        slot[(DirentWire.Size + name.Length)..].Clear();
    }

    private static int Align(int length) => (length + 7) & ~7;
}
