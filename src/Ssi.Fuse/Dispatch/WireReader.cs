using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ssi.Fuse.Dispatch;

/// <summary>Reads fixed structs and NUL-terminated names from a request body.</summary>
internal static class WireReader
{
    /// <summary>Reads a T from the start of <paramref name="body"/>; a shorter body (older protocol) is zero-extended.</summary>
    public static T Read<T>(ReadOnlySpan<byte> body) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (body.Length >= size)
            return MemoryMarshal.Read<T>(body);
        T value = default;
        body.CopyTo(MemoryMarshal.AsBytes(new Span<T>(ref value)));
        return value;
    }

    /// <summary>The name starting at <paramref name="offset"/>, up to its NUL; <paramref name="next"/> is just past the NUL.</summary>
    public static FileName Name(ReadOnlyMemory<byte> body, int offset, out int next)
    {
        if (offset >= body.Length)
        {
            next = body.Length;
            return new FileName(ReadOnlyMemory<byte>.Empty);
        }
        ReadOnlyMemory<byte> rest = body[offset..];
        int nul = rest.Span.IndexOf((byte)0);
        if (nul < 0)
        {
            next = body.Length;
            return new FileName(rest);
        }
        next = offset + nul + 1;
        return new FileName(rest[..nul]);
    }

    public static int SizeOf<T>() where T : unmanaged => Unsafe.SizeOf<T>();
}
