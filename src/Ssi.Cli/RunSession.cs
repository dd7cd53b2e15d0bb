using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Ssi.Ics;
using Ssi.Protocol;
using Ssi.Vproc;
using Ssi.Vproc.Wire;

namespace Ssi.Cli;

/// <summary>
/// The surrogate origin on the caller's side of <c>ssi run</c> and <c>ssi attach</c>: copies
/// stdin to the cluster process and its output frames to stdout and stderr, forwards the
/// signals it receives, and returns the process's exit status. One thread and one poll(2)
/// loop over stdin, the daemon's socket and a wake-up pipe for signals, as an ssh client does.
/// </summary>
internal sealed unsafe class RunSession : IFrameSink, IDisposable
{
    // Signals ssi run passes on (INT TERM HUP QUIT USR1 USR2); WINCH becomes a resize.
    private static readonly PosixSignal[] Forwarded =
        [PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT, (PosixSignal)10, (PosixSignal)12];

    // The client's first stream: odd ids are the connecting side's.
    private const ulong StreamId = 1;
    private const int SocketBufferSize = 512 * 1024;
    private const int StdinBufferSize = 1024 * 1024;

    private readonly DaemonSocket _socket;
    private readonly bool _tty;
    private readonly OutputSplitter _output;
    private readonly FrameSplitter _frames;
    private readonly ConcurrentQueue<int> _signals = new();
    private readonly Queue<int> _early = new();
    private readonly int[] _wake = new int[2];
    private ushort _method;
    private bool _detach;
    private bool _stdinOpen;
    private bool _awaitingTaken;
    private int _cpid;
    private long _credit = IcsStream.Window;
    private long _consumedSinceGrant;
    private ulong _nextRequest = 1;
    private string? _ended;

    public RunSession(DaemonSocket socket, bool tty)
    {
        _socket = socket;
        _tty = tty;
        _output = new OutputSplitter(tty, Stdio.Write);
        _frames = new FrameSplitter(this);
    }

    /// <summary>
    /// Opens the stream (<paramref name="method"/> with <paramref name="open"/> as its request)
    /// and runs until the process's exit frame; returns what ssi should exit with. When the
    /// request offered the daemon stdin (<paramref name="offeredStdin"/>), stdin is read here
    /// only if the daemon's Taken frame says it did not take it.
    /// </summary>
    public int Run(ushort method, ReadOnlySpan<byte> open, bool forwardStdin, bool detach, bool offeredStdin = false)
    {
        _method = method;
        _detach = detach;
        var registrations = new List<PosixSignalRegistration>();
        IDisposable? raw = null;
        byte* socketBuffer = null, stdinBuffer = null;
        try
        {
            _socket.Send(FrameKind.StreamOpen, method, StreamId, open);
            if (!detach)
            {
                if (Native.Pipe2(_wake, Native.O_NONBLOCK | Native.O_CLOEXEC) != 0)
                    throw new SsiException(Status.Internal, $"cannot create a pipe: errno {Marshal.GetLastPInvokeError()}");
                foreach (var signal in Forwarded)
                    registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
                registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGWINCH, OnSignal));
                if (_tty && Terminal.IsTerminal(0))
                    raw = Terminal.Raw();
            }
            // Buffers come from malloc (mmap for these sizes): only the pages a read fills are touched.
            socketBuffer = (byte*)NativeMemory.Alloc(SocketBufferSize);
            _stdinOpen = forwardStdin && !detach && !offeredStdin;
            _awaitingTaken = forwardStdin && !detach && offeredStdin;
            if (forwardStdin && !detach)
            {
                // One read per pipeful: fewer, larger frames through the two relays (stdin throughput).
                Stdio.GrowPipe(0);
                stdinBuffer = (byte*)NativeMemory.Alloc(StdinBufferSize);
            }
            return Loop(socketBuffer, stdinBuffer);
        }
        catch (ReaderGoneException)
        {
            // As a local program in a pipeline would end: quietly; the daemon sees the
            // connection close and hangs up the cluster process, as a terminal's loss would.
            return ReaderGoneException.Status;
        }
        catch (IOException e)
        {
            Output.Error($"{e.Message}: the process's fate is unknown");
        }
        catch (InvalidDataException e)
        {
            Output.Error($"the daemon sent a malformed frame ({e.Message}): the process's fate is unknown");
        }
        finally
        {
            raw?.Dispose();
            foreach (var registration in registrations)
                registration.Dispose();
            NativeMemory.Free(socketBuffer);
            NativeMemory.Free(stdinBuffer);
        }
        return ExitCodes.NodeFailure;
    }

    private int Loop(byte* socketBuffer, byte* stdinBuffer)
    {
        var polls = stackalloc Native.PollFd[3];
        while (true)
        {
            var count = 0;
            polls[count++] = new Native.PollFd(_socket.Fd);
            var wakeIndex = -1;
            if (!_detach)
            {
                wakeIndex = count;
                polls[count++] = new Native.PollFd(_wake[0]);
            }
            var stdinIndex = -1;
            if (_stdinOpen && _credit > 0)
            {
                stdinIndex = count;
                polls[count++] = new Native.PollFd(0);
            }
            if (Native.Poll(polls, count, -1) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Native.EINTR)
                    continue;
                throw new IOException($"poll failed: errno {errno}");
            }
            if (wakeIndex >= 0 && polls[wakeIndex].Returned != 0)
                ForwardSignals();
            if (polls[0].Returned != 0)
            {
                var n = _socket.Read(socketBuffer, SocketBufferSize);
                if (n == 0)
                    throw new IOException("lost the local daemon (it closed the connection)");
                _frames.Feed(new ReadOnlySpan<byte>(socketBuffer, n));
                if (_output.Exit is { } exit)
                    return exit.Code;
                if (_detach && _output.Started is { } started)
                {
                    Stdio.Write(1, Encoding.ASCII.GetBytes($"{started.Cpid}\n"));
                    return 0;
                }
                if (_ended is not null)
                    throw new IOException(_ended);
            }
            if (stdinIndex >= 0 && polls[stdinIndex].Returned != 0)
                _stdinOpen = ForwardStdin(stdinBuffer);
        }
    }

    // Reads one pipeful of stdin (within the stream's credit) and sends it; false at its end.
    private bool ForwardStdin(byte* buffer)
    {
        int n;
        try
        {
            n = Stdio.Read(0, new Span<byte>(buffer, (int)Math.Min(_credit, StdinBufferSize)));
        }
        catch (IOException)
        {
            n = 0; // An unreadable stdin ends like an empty one.
        }
        if (n == 0)
        {
            _socket.Send(FrameKind.StreamEnd, _method, StreamId, ReadOnlySpan<byte>.Empty);
            return false;
        }
        _credit -= n;
        for (var sent = 0; sent < n; sent += IcsStream.ChunkSize)
            _socket.Send(FrameKind.StreamData, _method, StreamId, new ReadOnlySpan<byte>(buffer + sent, Math.Min(IcsStream.ChunkSize, n - sent)));
        return true;
    }

    /// <inheritdoc/>
    public void Frame(FrameKind kind, ushort method, ulong id, ReadOnlySpan<byte> payload)
    {
        switch (kind)
        {
            case FrameKind.StreamData when id == StreamId:
                // After Started (detach) or Exit the rest is not needed; the loop returns.
                var used = 0;
                while (used < payload.Length && _output.Exit is null && !(_detach && _output.Started is not null))
                {
                    used += _output.Feed(payload[used..]);
                    if (_awaitingTaken && _output.Taken is { } taken)
                    {
                        // What the daemon did not take of stdin is read here after all.
                        _awaitingTaken = false;
                        _stdinOpen = (taken & StdioBits.Stdin) == 0;
                    }
                    if (_cpid == 0 && _output.Started is { } started)
                        Started(started.Cpid);
                }
                GrantCredit(payload.Length);
                break;
            case FrameKind.StreamCredit when id == StreamId && payload.Length == 4:
                _credit += System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(payload);
                break;
            case FrameKind.StreamEnd when id == StreamId:
                _ended ??= "the daemon ended the stream without an exit status";
                break;
            case FrameKind.StreamReset when id == StreamId:
                _ended ??= "the daemon reset the stream";
                break;
            case FrameKind.Ping:
                _socket.Send(FrameKind.Pong, 0, id, payload);
                break;
            default:
                // Replies to kill and resize requests: like a terminal's, a lost one is not an error.
                break;
        }
    }

    // Credit in batches, as IcsStream grants it: one frame per quarter window read.
    private void GrantCredit(int bytes)
    {
        _consumedSinceGrant += bytes;
        if (_consumedSinceGrant < IcsStream.Window / 4)
            return;
        _socket.SendU32(FrameKind.StreamCredit, _method, StreamId, (uint)_consumedSinceGrant);
        _consumedSinceGrant = 0;
    }

    // Runs on the runtime's signal thread: queue the signal and wake the loop.
    private void OnSignal(PosixSignalContext context)
    {
        if (context.Signal != PosixSignal.SIGWINCH)
            context.Cancel = true;
        _signals.Enqueue(ToNumber(context.Signal));
        byte one = 1;
        Native.Write(_wake[1], &one, 1);
    }

    private void ForwardSignals()
    {
        byte* drain = stackalloc byte[64];
        while (Native.Read(_wake[0], drain, 64) > 0)
        {
        }
        while (_signals.TryDequeue(out var signal))
        {
            if (_cpid != 0)
                Forward(signal);
            else
                _early.Enqueue(signal); // Before the Started frame: passed on (a resize sent) once the process has its cluster PID.
        }
    }

    // The process has its cluster PID: signals that came before it go now, in order.
    private void Started(int cpid)
    {
        _cpid = cpid;
        while (_early.TryDequeue(out var signal))
            Forward(signal);
    }

    private void Forward(int signal)
    {
        if (signal == 28)
        {
            var (rows, cols) = Terminal.Size();
            if (_tty && rows > 0)
                Request(VprocMethods.Resize, JsonSerializer.SerializeToUtf8Bytes(new ResizeRequest(_cpid, rows, cols), VprocJson.Default.ResizeRequest));
            return;
        }
        Request(VprocMethods.Kill, JsonSerializer.SerializeToUtf8Bytes(new SignalRequest(_cpid, signal, false), VprocJson.Default.SignalRequest));
    }

    private void Request(ushort method, byte[] payload) => _socket.Send(FrameKind.Request, method, _nextRequest++, payload);

    // PosixSignal's named values are negative placeholders; the kernel numbers are these.
    public static int ToNumber(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGHUP => 1,
        PosixSignal.SIGINT => 2,
        PosixSignal.SIGQUIT => 3,
        PosixSignal.SIGTERM => 15,
        PosixSignal.SIGCHLD => 17,
        PosixSignal.SIGCONT => 18,
        PosixSignal.SIGTSTP => 20,
        PosixSignal.SIGWINCH => 28,
        _ => (int)signal,
    };

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_wake[0] > 0)
        {
            Native.Close(_wake[0]);
            Native.Close(_wake[1]);
        }
        _socket.Dispose();
    }
}
