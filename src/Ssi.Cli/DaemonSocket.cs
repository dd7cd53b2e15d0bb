using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Ssi.Protocol;

namespace Ssi.Cli;

/// <summary>
/// A blocking connection to the local daemon's Unix socket through plain libc calls, for the
/// session of <c>ssi run</c>. It speaks the same frames as <see cref="Ssi.Ics.Connection"/> but
/// needs no socket engine and no pool threads: on a node where a page fault costs 40 µs, the
/// threads and buffers of the async client were half the time of a short <c>ssi run</c>.
/// </summary>
internal sealed unsafe partial class DaemonSocket : IDisposable
{
    private const int AF_UNIX = 1;
    private const int SOCK_STREAM = 1;
    private const int SOCK_CLOEXEC = 0x80000;
    private const int SunPathSize = 108;
    private const int EACCES = 13;
    private const int ENOENT = 2;
    private const int ECONNREFUSED = 111;

    private readonly string _path;
    private int _fd;

    private DaemonSocket(string path, int fd)
    {
        _path = path;
        _fd = fd;
    }

    /// <summary>The socket's descriptor, for poll(2).</summary>
    public int Fd => _fd;

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static partial int Connect(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
    private static partial nint WriteV(int fd, IoVec* vectors, int count);

    /// <summary>Connects to the daemon at <paramref name="path"/>; a clear error if none runs there.</summary>
    public static DaemonSocket Open(string path)
    {
        var name = Encoding.UTF8.GetBytes(path);
        if (name.Length >= SunPathSize)
            throw new SsiException(Status.InvalidArgument, $"socket path {path} is longer than {SunPathSize - 1} bytes");
        var fd = Socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw new SsiException(Status.Unavailable, $"cannot create a socket: errno {Marshal.GetLastPInvokeError()}");
        byte* address = stackalloc byte[2 + SunPathSize];
        new Span<byte>(address, 2 + SunPathSize).Clear();
        address[0] = AF_UNIX;
        name.CopyTo(new Span<byte>(address + 2, SunPathSize));
        int result;
        do
            result = Connect(fd, address, 2 + SunPathSize);
        while (result != 0 && Marshal.GetLastPInvokeError() == Native.EINTR);
        if (result == 0)
            return new DaemonSocket(path, fd);
        var errno = Marshal.GetLastPInvokeError();
        Native.Close(fd);
        var why = errno switch
        {
            ENOENT or ECONNREFUSED => "no daemon is running there",
            EACCES => "permission denied",
            _ => $"errno {errno}",
        };
        throw Ssi.Ics.LocalClient.Unreachable(path, why);
    }

    /// <summary>Sends one frame: header and payload in one writev(2), blocking until all is written.</summary>
    public void Send(FrameKind kind, ushort method, ulong id, ReadOnlySpan<byte> payload)
    {
        byte* header = stackalloc byte[FrameHeader.Size];
        new FrameHeader(kind, method, id, payload.Length).Write(new Span<byte>(header, FrameHeader.Size));
        fixed (byte* data = payload)
        {
            IoVec* vectors = stackalloc IoVec[2];
            vectors[0] = new IoVec(header, FrameHeader.Size);
            vectors[1] = new IoVec(data, payload.Length);
            var next = vectors;
            var count = payload.IsEmpty ? 1 : 2;
            while (count > 0)
            {
                var n = WriteV(_fd, next, count);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Native.EINTR)
                        continue;
                    throw new IOException($"lost the local daemon at {_path} (errno {errno})");
                }
                Advance(ref next, ref count, n);
            }
        }
    }

    /// <summary>Sends a frame whose payload is one little-endian u32 (a stream credit).</summary>
    public void SendU32(FrameKind kind, ushort method, ulong id, uint value)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, value);
        Send(kind, method, id, payload);
    }

    /// <summary>Reads what the daemon sent (blocking); 0 when it closed the connection.</summary>
    public int Read(byte* buffer, int count)
    {
        while (true)
        {
            var n = Native.Read(_fd, buffer, (nuint)count);
            if (n >= 0)
                return (int)n;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Native.EINTR)
                throw new IOException($"lost the local daemon at {_path} (errno {errno})");
        }
    }

    // Skips the bytes a (possibly short) writev wrote.
    private static void Advance(ref IoVec* next, ref int count, nint written)
    {
        while (count > 0 && written >= (nint)next->Length)
        {
            written -= (nint)next->Length;
            next++;
            count--;
        }
        if (count > 0)
        {
            next->Base += written;
            next->Length -= (nuint)written;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_fd >= 0)
            Native.Close(_fd);
        _fd = -1;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec(byte* start, int length)
    {
        public byte* Base = start;
        public nuint Length = (nuint)length;
    }
}
