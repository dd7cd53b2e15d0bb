using Ssi.Fuse.Dispatch;

namespace Ssi.Fuse.Native;

/// <summary>An open /dev/fuse descriptor: one read() is one request, one write() is one reply.</summary>
internal sealed unsafe class FuseDevice : IFuseChannel, IDisposable
{
    private const int ENODEV = 19;
    private int _fd;

    public FuseDevice(int fd) => _fd = fd;

    public int Fd => _fd;

    /// <summary>Opens /dev/fuse for a kernel mount(2).</summary>
    public static FuseDevice Open()
    {
        int fd = Libc.Open("/dev/fuse", Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var error = new Errno(Libc.LastError);
            throw new IOException($"Cannot open /dev/fuse: {error}. Is the fuse module loaded and the device node present?");
        }
        return new FuseDevice(fd);
    }

    /// <summary>Blocks until a request arrives; returns its length, or the negated errno (ENODEV once unmounted).</summary>
    public int Read(byte[] pinnedBuffer)
    {
        int fd = Volatile.Read(ref _fd);
        if (fd < 0)
            return -ENODEV;
        fixed (byte* p = pinnedBuffer)
        {
            nint n = Libc.Read(fd, p, pinnedBuffer.Length);
            return n < 0 ? -Libc.LastError : (int)n;
        }
    }

    public Errno Send(ReadOnlySpan<byte> message)
    {
        int fd = Volatile.Read(ref _fd);
        if (fd < 0)
            return new Errno(ENODEV);
        fixed (byte* p = message)
        {
            while (true)
            {
                nint n = Libc.Write(fd, p, message.Length);
                if (n >= 0)
                    return Errno.Ok;
                int error = Libc.LastError;
                if (error != Errno.EINTR.Value)
                    return new Errno(error);
            }
        }
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.Close(fd);
    }
}
