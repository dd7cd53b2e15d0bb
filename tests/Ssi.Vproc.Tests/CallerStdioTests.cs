using System.Net.Sockets;
using System.Text;
using Ssi.Ics;
using Ssi.Posix;
using Ssi.Vproc.Native;
using Ssi.Vproc.Service;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Tests;

/// <summary>The origin taking over a caller's stdio, with this test process as the caller (a socket pair stands for ssi run's connection).</summary>
public sealed class CallerStdioTests : IDisposable
{
    private readonly Socket _daemonEnd;
    private readonly Socket _callerEnd;
    private readonly List<int> _open = [];

    public CallerStdioTests()
    {
        var pair = SocketPair();
        (_daemonEnd, _callerEnd) = pair;
    }

    private static (Socket, Socket) SocketPair()
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var path = Path.Combine(Path.GetTempPath(), $"ssi-stdio-{Guid.NewGuid():N}.sock");
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        var server = listener.Accept();
        listener.Dispose();
        File.Delete(path);
        return (server, client);
    }

    private PeerIdentity Caller(uint uid) => new(0, "local", uid, 0, Environment.ProcessId) { Caller = new LocalCaller(_daemonEnd) };

    private (int Read, int Write) Pipe()
    {
        var (read, write) = Pipes.Create();
        _open.Add(read);
        _open.Add(write);
        return (read, write);
    }

    [Fact]
    public async Task Pipes_are_taken_and_carry_bytes_both_ways()
    {
        var (inRead, inWrite) = Pipe();
        var (outRead, outWrite) = Pipe();
        var file = Path.GetTempFileName();
        using var stream = File.OpenHandle(file, FileMode.Open, FileAccess.Write);
        try
        {
            using var stdio = CallerStdio.Take(Caller(LibC.GetUid()), StdioBits.Stdin | StdioBits.Stdout | StdioBits.Stderr,
                (inRead, outWrite, (int)stream.DangerousGetHandle()));

            Assert.Equal(StdioBits.Stdin | StdioBits.Stdout, stdio.Taken); // a regular file stays with ssi run
            Assert.Null(stdio.Error);

            Write(inWrite, "to the program");
            var buffer = new byte[64];
            var n = await stdio.Input!.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("to the program", Encoding.ASCII.GetString(buffer, 0, n));

            await stdio.Output!.WriteAsync(Encoding.ASCII.GetBytes("from the program")).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("from the program", Read(outRead));

            // The origin's descriptions are its own: the caller's stay blocking.
            Assert.Equal(0, LibC.Fcntl(inRead, LibC.F_GETFL, 0) & LibC.O_NONBLOCK);
            Assert.Equal(0, LibC.Fcntl(outWrite, LibC.F_GETFL, 0) & LibC.O_NONBLOCK);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_descriptor_open_the_other_way_is_not_taken()
    {
        var (read, write) = Pipe();

        using var stdio = CallerStdio.Take(Caller(LibC.GetUid()), StdioBits.Stdin | StdioBits.Stdout, (write, read, 2));

        Assert.Equal(0, stdio.Taken);
    }

    [Fact]
    public void Nothing_is_taken_from_a_caller_that_does_not_run_as_the_connection_s_user()
    {
        var (read, write) = Pipe();

        using var stdio = CallerStdio.Take(Caller(LibC.GetUid() + 4321), StdioBits.Stdin | StdioBits.Stdout, (read, write, 2));

        Assert.Equal(0, stdio.Taken);
    }

    [Fact]
    public void Nothing_is_taken_once_the_connection_is_closed()
    {
        var (read, write) = Pipe();
        _daemonEnd.Dispose();

        using var stdio = CallerStdio.Take(Caller(LibC.GetUid()), StdioBits.Stdin | StdioBits.Stdout, (read, write, 2));

        Assert.Equal(0, stdio.Taken);
    }

    private static unsafe void Write(int fd, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        fixed (byte* p = bytes)
            Assert.Equal(bytes.Length, (int)LibC.Write(fd, p, (nuint)bytes.Length));
    }

    private static unsafe string Read(int fd)
    {
        var buffer = new byte[64];
        fixed (byte* p = buffer)
            return Encoding.ASCII.GetString(buffer, 0, (int)LibC.Read(fd, p, 64));
    }

    public void Dispose()
    {
        foreach (var fd in _open)
            Syscall.Close(fd);
        _daemonEnd.Dispose();
        _callerEnd.Dispose();
    }
}
