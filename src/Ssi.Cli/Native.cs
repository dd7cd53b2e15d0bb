using System.Runtime.InteropServices;

namespace Ssi.Cli;

internal static unsafe partial class Native
{
    public const int EINTR = 4;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    private const short POLLIN = 0x1;

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    // The runtime's own shim (linked into the executable) returns libc's environ: C# cannot import a variable.
    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_GetEnviron")]
    public static partial byte** Environ();

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int[] fds, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, int count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    /// <summary>struct pollfd, asking for input (hang-ups and errors are always reported).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd(int fd)
    {
        public int Fd = fd;
        public short Events = POLLIN;
        public short Returned;
    }
}
