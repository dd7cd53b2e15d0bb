using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ssi.Protocol;

namespace Ssi.Ics;

/// <summary>
/// The daemon's Unix socket: the same framed protocol as between nodes, with the caller
/// identified by the kernel (SO_PEERCRED) instead of by a handshake.
/// </summary>
public sealed class LocalServer : IAsyncDisposable
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int SoPeerGroups = 59;
    private const int MaxGroups = 65536;
    private readonly string _path;
    private readonly Router _router;
    private readonly ILoggerFactory _logs;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<Connection> _open = [];
    private Socket? _listener;

    /// <summary>Creates a server for <paramref name="path"/>; call <see cref="Start"/>.</summary>
    public LocalServer(string path, Router router, ILoggerFactory? logs = null)
    {
        _path = path;
        _router = router;
        _logs = logs ?? NullLoggerFactory.Instance;
        _log = _logs.CreateLogger("ics.local");
    }

    /// <summary>Wire error counts.</summary>
    public IcsCounters Counters { get; } = new();

    /// <summary>Binds the socket (replacing a stale one) and starts accepting callers.</summary>
    public void Start()
    {
        if (File.Exists(_path))
        {
            if (LocalClient.IsServed(_path))
                throw new SsiException(Status.AlreadyExists, $"another daemon already serves {_path}");
            File.Delete(_path);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(_path));
        // Everyone may connect; each request checks the caller's uid.
        File.SetUnixFileMode(_path, (UnixFileMode)0b110_110_110);
        listener.Listen(128);
        _listener = listener;
        _ = Task.Run(() => Listener.AcceptAsync(listener, Accept, _log, _path, _stopping.Token));
    }

    private void Accept(Socket socket)
    {
        var peer = Identify(socket);
        var connection = new Connection(socket, initiator: false, peer, _router, Counters, _log);
        lock (_open)
            _open.Add(connection);
        _ = connection.Completion.ContinueWith(_ =>
        {
            lock (_open)
                _open.Remove(connection);
        }, TaskScheduler.Default);
        connection.Start();
    }

    private static PeerIdentity Identify(Socket socket)
    {
        Span<byte> raw = stackalloc byte[12];
        socket.GetRawSocketOption(SolSocket, SoPeerCred, raw);
        var cred = MemoryMarshal.Read<UCred>(raw);
        return new PeerIdentity(0, "local", cred.Uid, cred.Gid, cred.Pid) { Groups = PeerGroups(socket), Caller = new LocalCaller(socket) };
    }

    // The caller's supplementary groups as the kernel recorded them at connect: unlike
    // /proc/PID/status, nothing the caller does afterwards (exit, pid reuse) can change them.
    private static uint[] PeerGroups(Socket socket)
    {
        var raw = new byte[256 * sizeof(uint)];
        int length;
        try
        {
            length = socket.GetRawSocketOption(SolSocket, SoPeerGroups, raw);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.NoBufferSpaceAvailable || e.NativeErrorCode == 34)
        {
            raw = new byte[MaxGroups * sizeof(uint)];
            length = socket.GetRawSocketOption(SolSocket, SoPeerGroups, raw);
        }
        return MemoryMarshal.Cast<byte, uint>(raw.AsSpan(0, length)).ToArray();
    }

    /// <summary>Stops accepting, closes callers' connections and removes the socket file.</summary>
    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener?.Dispose();
        lock (_open)
        {
            foreach (var connection in _open.ToArray())
                connection.Close("daemon shutting down");
        }
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct UCred
    {
        public readonly int Pid;
        public readonly uint Uid;
        public readonly uint Gid;
    }
}

/// <summary>Connects to a daemon's Unix socket.</summary>
public static class LocalClient
{
    /// <summary>Opens a connection to the daemon at <paramref name="path"/>; a clear error if none runs there.</summary>
    public static async Task<Connection> ConnectAsync(string path, CancellationToken ct = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            var why = e.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable or SocketError.ConnectionRefused => "no daemon is running there",
                SocketError.AccessDenied => "permission denied",
                _ => e.Message,
            };
            throw Unreachable(path, why);
        }
        var connection = new Connection(socket, initiator: true, new PeerIdentity(0, "ssid"), new Router(), new IcsCounters(), null);
        connection.Start();
        return connection;
    }

    /// <summary>The error for a daemon socket nobody answers on, and what to do about it.</summary>
    public static SsiException Unreachable(string path, string why) =>
        new(Status.Unavailable, $"cannot reach ssid at {path}: {why}. Start it with 'ssi up' (a local box) or 'ssi init' / 'ssi join'");

    /// <summary>True when a daemon answers on <paramref name="path"/>.</summary>
    public static bool IsServed(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
