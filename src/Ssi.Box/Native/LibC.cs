using System.Runtime.InteropServices;

namespace Ssi.Box.Native;

/// <summary>
/// The few libc calls the box needs that .NET does not expose, beyond the spawning and pidfds
/// of Ssi.Posix: namespace identity, mounting and unmounting.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    public const int O_RDONLY = 0x0;
    public const int O_WRONLY = 0x1;
    public const int O_CREAT = 0x40;
    public const int O_APPEND = 0x400;

    public const int MNT_DETACH = 2;
    public const int CLONE_NEWNET = 0x40000000;

    public const int StatSize = 256;

    [LibraryImport(Lib, EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Stat(string path, byte* buffer);

    [LibraryImport(Lib, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    public const ulong MS_BIND = 4096;
    public const ulong MS_PRIVATE = 1 << 18;

    [LibraryImport(Lib, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string? source, string target, string? fsType, ulong flags, void* data);

    /// <summary>The inode number of <paramref name="path"/>, or 0 when it does not exist.</summary>
    /// <remarks>st_ino sits at offset 8 in <c>struct stat</c> on x86_64 and arm64 alike.</remarks>
    public static ulong InodeOf(string path)
    {
        byte* buffer = stackalloc byte[StatSize];
        return Stat(path, buffer) == 0 ? *(ulong*)(buffer + 8) : 0;
    }
}
