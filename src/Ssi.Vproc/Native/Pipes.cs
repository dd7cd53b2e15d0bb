using Ssi.Posix;

namespace Ssi.Vproc.Native;

/// <summary>Pipes and ptys for a cluster process's stdio.</summary>
internal static unsafe class Pipes
{
    // Large pipes let a fast producer run ahead of the network by a megabyte.
    private const int PipeSize = 1 << 20;

    /// <summary>A close-on-exec pipe: (read end, write end).</summary>
    public static (int Read, int Write) Create()
    {
        int* fds = stackalloc int[2];
        if (LibC.Pipe2(fds, LibC.O_CLOEXEC) != 0)
            throw new IOException($"pipe2 failed: errno {LibC.Errno}");
        LibC.Fcntl(fds[0], LibC.F_SETPIPE_SZ, PipeSize);
        return (fds[0], fds[1]);
    }

    /// <summary>Opens a pty of the given size: the master descriptor and the slave's path (the slave is closed).</summary>
    public static (int Master, string SlavePath) OpenPty(ushort rows, ushort cols)
    {
        var size = new LibC.WinSize { Rows = rows == 0 ? (ushort)24 : rows, Cols = cols == 0 ? (ushort)80 : cols };
        if (LibC.OpenPty(out int master, out int slave, null, null, &size) != 0)
            throw new IOException($"openpty failed: errno {LibC.Errno}");
        byte* name = stackalloc byte[128];
        int error = LibC.PtsNameR(master, name, 128);
        Syscall.Close(slave);
        if (error != 0)
        {
            Syscall.Close(master);
            throw new IOException($"ptsname failed: errno {error}");
        }
        LibC.Fcntl(master, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
        return (master, new string((sbyte*)name));
    }

    /// <summary>Sets a pty's window size; the kernel sends SIGWINCH to its foreground group.</summary>
    public static void Resize(int master, ushort rows, ushort cols)
    {
        var size = new LibC.WinSize { Rows = rows, Cols = cols };
        LibC.Ioctl(master, LibC.TIOCSWINSZ, &size);
    }

    /// <summary>Closes a descriptor if it is open.</summary>
    public static void Close(ref int fd)
    {
        if (fd >= 0)
            Syscall.Close(fd);
        fd = -1;
    }
}
