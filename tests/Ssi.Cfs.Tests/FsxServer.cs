using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Ssi.Cfs.Tests.Posix;

namespace Ssi.Cfs.Tests;

/// <summary>
/// The fsx worker of the cluster integrity run (<c>fsx-serve FILE COMMANDS REPLIES</c>): runs inside a box
/// node, keeps FILE open, and carries out one command per line read from the COMMANDS fifo, answering on
/// REPLIES. The driver (a cluster test) keeps the reference copy and alternates nodes at random.
/// </summary>
internal static unsafe class FsxServer
{
    private const int PageSize = 4096;

    public static int Run(string file, string commands, string replies)
    {
        int fd = Sys.Open(file, Sys.O_RDWR | Sys.O_CREAT, 0x1A4);
        if (fd < 0)
        {
            Console.Error.WriteLine($"open {file}: errno {Sys.Errno}");
            return 1;
        }
        using var input = new StreamReader(commands);
        using var output = new StreamWriter(replies) { AutoFlush = true };
        while (input.ReadLine() is { } line)
        {
            var f = line.Split(' ');
            long A(int i) => long.Parse(f[i], System.Globalization.CultureInfo.InvariantCulture);
            try
            {
                output.WriteLine(f[0] switch
                {
                    "w" => Result(Sys.PwriteAll(fd, Data(A(3), (int)A(2)), A(1))),
                    "r" => Read(fd, A(1), (int)A(2)),
                    "t" => Result(Sys.Ftruncate(fd, A(1))),
                    "p" => Result(Sys.Fallocate(fd, 3, A(1), A(2))),
                    "mw" => MapWrite(fd, A(1), (int)A(2), A(3)),
                    "mr" => MapRead(fd, A(1), (int)A(2)),
                    "s" => Size(fd),
                    "o" => Reopen(ref fd, file),
                    "q" => "bye",
                    _ => "unknown " + f[0],
                });
            }
            catch (Exception e)
            {
                output.WriteLine("error " + e.Message.Replace('\n', ' '));
            }
            if (f[0] == "q")
                break;
        }
        Sys.Close(fd);
        return 0;
    }

    /// <summary>The bytes a write with this seed carries (the driver computes the same).</summary>
    public static byte[] Data(long seed, int length)
    {
        var data = new byte[length];
        new Random((int)seed).NextBytes(data);
        return data;
    }

    public static string Hash(ReadOnlySpan<byte> data) => Convert.ToHexString(SHA256.HashData(data));

    private static string Result(long rc) => rc >= 0 ? "ok" : $"errno {Sys.Errno}";

    private static string Read(int fd, long offset, int length)
    {
        var buffer = new byte[length];
        long n = Sys.PreadSome(fd, buffer, offset);
        return n < 0 ? $"errno {-n}" : $"{n} {Hash(buffer.AsSpan(0, (int)n))}";
    }

    private static string Size(int fd)
    {
        Sys.Stat stat;
        return Sys.Fstat(fd, &stat) == 0 ? stat.Size.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"errno {Sys.Errno}";
    }

    private static string Reopen(ref int fd, string file)
    {
        Sys.Close(fd);
        fd = Sys.Open(file, Sys.O_RDWR, 0);
        return fd >= 0 ? "ok" : $"errno {Sys.Errno}";
    }

    private static string MapWrite(int fd, long offset, int length, long seed)
    {
        // Like a program would: learn the size before mapping (a fault beyond the size this node's kernel
        // knows is SIGBUS, and faults do not refresh attributes the way read(2) past the known end does).
        Size(fd);
        long first = offset / PageSize * PageSize;
        nint span = (nint)(offset + length - first);
        nint map = Mapping.Map(0, span, Mapping.PROT_READ | Mapping.PROT_WRITE, Mapping.MAP_SHARED, fd, first);
        if (map == -1)
            return $"errno {Sys.Errno}";
        Data(seed, length).CopyTo(new Span<byte>((void*)(map + (nint)(offset - first)), length));
        int rc = Mapping.Sync(map, span, Mapping.MS_SYNC);
        Mapping.Unmap(map, span);
        return rc == 0 ? "ok" : $"errno {Marshal.GetLastPInvokeError()}";
    }

    private static string MapRead(int fd, long offset, int length)
    {
        // Like a program would: learn the size before mapping (a fault beyond the size this node's kernel
        // knows is SIGBUS, and faults do not refresh attributes the way read(2) past the known end does).
        Size(fd);
        long first = offset / PageSize * PageSize;
        nint span = (nint)(offset + length - first);
        nint map = Mapping.Map(0, span, Mapping.PROT_READ, Mapping.MAP_SHARED, fd, first);
        if (map == -1)
            return $"errno {Sys.Errno}";
        string hash = Hash(new ReadOnlySpan<byte>((void*)(map + (nint)(offset - first)), length));
        Mapping.Unmap(map, span);
        return $"{length} {hash}";
    }
}
