using System.Runtime.InteropServices;

namespace Ssi.Fuse.Tests.Infrastructure;

/// <summary>libc calls the tests make directly, to use the mount like a C program would.</summary>
internal static unsafe partial class TestLibc
{
    public const int F_SETLK = 6;
    public const int F_SETLKW = 7;
    public const int F_GETLK = 5;
    public const short F_WRLCK = 1;
    public const short F_UNLCK = 2;

    [StructLayout(LayoutKind.Sequential)]
    public struct Flock
    {
        public short Type;
        public short Whence;
        public int Padding0;
        public long Start;
        public long Length;
        public int Pid;
        public int Padding1;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags, uint mode);

    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, Flock* lockInfo);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "setxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int SetXattr(string path, string name, byte* value, nint size, int flags);

    [LibraryImport("libc", EntryPoint = "getxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial nint GetXattr(string path, string name, byte* value, nint size);

    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>Takes (or waits for, with <paramref name="wait"/>) a POSIX write lock on the whole file.</summary>
    public static int LockWhole(int fd, bool wait)
    {
        var fl = new Flock { Type = F_WRLCK };
        return Fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl) == 0 ? 0 : LastError;
    }

    public static int UnlockWhole(int fd)
    {
        var fl = new Flock { Type = F_UNLCK };
        return Fcntl(fd, F_SETLK, &fl) == 0 ? 0 : LastError;
    }

    /// <summary>statx of <paramref name="path"/>, forcing a round trip to the file system: 0 or the errno.</summary>
    public static int Stat(string path)
    {
        byte* buffer = stackalloc byte[256];
        return Statx(-100, path, 0x2000, 0x7ff, buffer) == 0 ? 0 : LastError;
    }
}
