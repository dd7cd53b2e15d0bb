using System.Runtime.InteropServices;
using Ssi.Posix;

namespace Ssi.Vproc.Native;

/// <summary>
/// A non-blocking descriptor (a pipe end or a pty master) read and written asynchronously
/// through <see cref="FdPoller"/>. Owns the descriptor.
/// </summary>
internal sealed class AsyncFd : IDisposable
{
    private int _fd;

    /// <summary>Takes ownership of <paramref name="fd"/> and makes it non-blocking.</summary>
    public AsyncFd(int fd)
    {
        _fd = fd;
        LibC.SetNonBlocking(fd, true);
    }

    /// <summary>The descriptor (-1 once disposed).</summary>
    public int Fd => Volatile.Read(ref _fd);

    /// <summary>Reads up to <paramref name="buffer"/>'s length; 0 at end of file (or when a pty's last slave closed).</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        while (true)
        {
            var fd = Fd;
            if (fd < 0)
                return 0;
            int n = TryRead(fd, buffer.Span, out var errno);
            if (n >= 0)
                return n;
            switch (errno)
            {
                case LibC.EINTR:
                    continue;
                case LibC.EAGAIN:
                    try
                    {
                        await FdPoller.Shared.WaitAsync(fd, LibC.EPOLLIN, ct).ConfigureAwait(false);
                    }
                    catch (ObjectDisposedException)
                    {
                        return 0;
                    }
                    continue;
                case LibC.EIO:
                    return 0;
                default:
                    throw new IOException($"read from descriptor {fd} failed: errno {errno}");
            }
        }
    }

    /// <summary>Writes all of <paramref name="data"/>, waiting while the reader is slow.</summary>
    /// <exception cref="IOException">The reading end is closed (EPIPE) or the write failed.</exception>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        while (!data.IsEmpty)
        {
            var fd = Fd;
            if (fd < 0)
                throw new IOException("the descriptor is closed");
            int n = TryWrite(fd, data.Span, out var errno);
            if (n >= 0)
            {
                data = data[n..];
                continue;
            }
            switch (errno)
            {
                case LibC.EINTR:
                    continue;
                case LibC.EAGAIN:
                    await FdPoller.Shared.WaitAsync(fd, LibC.EPOLLOUT, ct).ConfigureAwait(false);
                    continue;
                default:
                    throw new IOException(errno == LibC.EPIPE ? "the reader went away" : $"write to descriptor {fd} failed: errno {errno}");
            }
        }
    }

    private static unsafe int TryRead(int fd, Span<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer)
        {
            var n = LibC.Read(fd, p, (nuint)buffer.Length);
            errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)n;
        }
    }

    private static unsafe int TryWrite(int fd, ReadOnlySpan<byte> data, out int errno)
    {
        fixed (byte* p = data)
        {
            var n = LibC.Write(fd, p, (nuint)data.Length);
            errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)n;
        }
    }

    /// <summary>Closes the descriptor; pending waits end.</summary>
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd < 0)
            return;
        FdPoller.Shared.Remove(fd);
        Syscall.Close(fd);
    }
}
