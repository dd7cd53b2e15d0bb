using System.Runtime.InteropServices;

namespace Ssi.Cli;

/// <summary>The local terminal for <c>ssi run -t</c>: raw mode while the remote pty is in charge, and its size.</summary>
internal static unsafe partial class Terminal
{
    private const ulong TIOCGWINSZ = 0x5413;
    private const int TCSANOW = 0;
    // struct termios is 60 bytes with glibc; room to spare.
    private const int TermiosSize = 128;

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static partial int TcGetAttr(int fd, byte* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static partial int TcSetAttr(int fd, int actions, byte* termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    private static partial void CfMakeRaw(byte* termios);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, ulong request, ushort* size);

    /// <summary>True when <paramref name="fd"/> is a terminal.</summary>
    public static bool IsTerminal(int fd) => IsATty(fd) == 1;

    /// <summary>The size of the terminal on stdout (or stdin), or (0, 0).</summary>
    public static (ushort Rows, ushort Cols) Size()
    {
        ushort* size = stackalloc ushort[4];
        foreach (var fd in new[] { 1, 0, 2 })
        {
            if (Ioctl(fd, TIOCGWINSZ, size) == 0 && size[0] > 0)
                return (size[0], size[1]);
        }
        return (0, 0);
    }

    /// <summary>Puts stdin's terminal in raw mode; disposing restores it.</summary>
    public static IDisposable Raw()
    {
        var saved = new byte[TermiosSize];
        fixed (byte* p = saved)
        {
            if (TcGetAttr(0, p) != 0)
                return new Restore(null);
            byte* raw = stackalloc byte[TermiosSize];
            new Span<byte>(p, TermiosSize).CopyTo(new Span<byte>(raw, TermiosSize));
            CfMakeRaw(raw);
            TcSetAttr(0, TCSANOW, raw);
        }
        return new Restore(saved);
    }

    private sealed class Restore(byte[]? saved) : IDisposable
    {
        public void Dispose()
        {
            if (saved is null)
                return;
            fixed (byte* p = saved)
                TcSetAttr(0, TCSANOW, p);
        }
    }
}
