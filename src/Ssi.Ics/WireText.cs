using System.Text;

namespace Ssi.Ics;

/// <summary>Encoding helpers for strings in handshake frames.</summary>
internal static class WireText
{
    public static int Write(Span<byte> destination, string text)
    {
        var count = Encoding.UTF8.GetBytes(text, destination[1..]);
        destination[0] = checked((byte)count);
        return count + 1;
    }

    public static string Read(ref ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty || source.Length < 1 + source[0])
            throw new FormatException("string runs past the end of the frame");
        var text = Encoding.UTF8.GetString(source.Slice(1, source[0]));
        source = source[(1 + source[0])..];
        return text;
    }
}
