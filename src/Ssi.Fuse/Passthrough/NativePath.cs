using System.Globalization;

namespace Ssi.Fuse.Passthrough;

/// <summary>NUL-terminated byte paths for libc calls, built on the stack.</summary>
internal static class NativePath
{
    /// <summary>Longest name FUSE sends (FUSE_NAME_MAX) plus the NUL.</summary>
    public const int NameBufferSize = 1025;

    /// <summary>Room for "/proc/self/fd/" + an int + NUL.</summary>
    public const int ProcBufferSize = 32;

    /// <summary>Copies <paramref name="name"/> and a NUL into <paramref name="destination"/>; false if too long or containing NUL or '/'.</summary>
    public static bool TryName(FileName name, Span<byte> destination) => TryName(name.Span, destination);

    /// <inheritdoc cref="TryName(FileName, Span{byte})"/>
    public static bool TryName(ReadOnlySpan<byte> bytes, Span<byte> destination)
    {
        if (bytes.Length == 0 || bytes.Length >= destination.Length || bytes.IndexOfAny((byte)0, (byte)'/') >= 0)
            return false;
        bytes.CopyTo(destination);
        destination[bytes.Length] = 0;
        return true;
    }

    /// <summary>Writes "/proc/self/fd/&lt;fd&gt;" and a NUL: a path that reaches exactly the inode behind an O_PATH descriptor.</summary>
    public static void Proc(int fd, Span<byte> destination)
    {
        ReadOnlySpan<byte> prefix = "/proc/self/fd/"u8;
        prefix.CopyTo(destination);
        fd.TryFormat(destination[prefix.Length..], out int written, default, CultureInfo.InvariantCulture);
        destination[prefix.Length + written] = 0;
    }
}
