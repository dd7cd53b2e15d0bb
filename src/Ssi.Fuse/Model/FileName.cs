using System.Text;

namespace Ssi.Fuse;

/// <summary>
/// A path component as the kernel sent it: raw bytes (Linux names need not be UTF-8), without the
/// trailing NUL. The memory belongs to the request buffer and is valid until the handler's task completes.
/// </summary>
public readonly struct FileName : IEquatable<FileName>
{
    /// <summary>Wraps raw name bytes.</summary>
    public FileName(ReadOnlyMemory<byte> bytes) => Bytes = bytes;

    /// <summary>The name's bytes, without NUL.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The name's bytes as a span.</summary>
    public ReadOnlySpan<byte> Span => Bytes.Span;

    /// <summary>Length in bytes.</summary>
    public int Length => Bytes.Length;

    /// <summary>True for "." and "..".</summary>
    public bool IsDotOrDotDot => Span.SequenceEqual("."u8) || Span.SequenceEqual(".."u8);

    /// <summary>Makes a name from a string (UTF-8 encoded).</summary>
    public static FileName FromString(string name) => new(Encoding.UTF8.GetBytes(name));

    /// <inheritdoc />
    public bool Equals(FileName other) => Span.SequenceEqual(other.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is FileName other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Span);
        return hash.ToHashCode();
    }

    /// <summary>Equality of the bytes.</summary>
    public static bool operator ==(FileName left, FileName right) => left.Equals(right);

    /// <summary>Inequality of the bytes.</summary>
    public static bool operator !=(FileName left, FileName right) => !left.Equals(right);

    /// <summary>The name decoded as UTF-8 (for logs and messages).</summary>
    public override string ToString() => Encoding.UTF8.GetString(Span);
}
