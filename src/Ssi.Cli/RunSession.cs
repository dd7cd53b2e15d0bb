using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Ssi.Ics;
using Ssi.Vproc;
using Ssi.Vproc.Client;
using Ssi.Vproc.Wire;

namespace Ssi.Cli;

/// <summary>
/// The surrogate origin on the caller's side of <c>ssi run</c> and <c>ssi attach</c>: copies
/// stdin to the cluster process and its output frames to stdout and stderr, forwards the
/// signals it receives, and returns the process's exit status.
/// </summary>
internal sealed class RunSession(VprocClient vproc, IcsStream stream, bool tty, bool forwardStdin)
{
    // Signals ssi run passes on (INT TERM HUP QUIT USR1 USR2); WINCH becomes a resize.
    private static readonly PosixSignal[] Forwarded =
        [PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT, (PosixSignal)10, (PosixSignal)12];

    private int _cpid;

    /// <summary>Runs until the process's exit frame; returns what ssi should exit with.</summary>
    public async Task<int> RunAsync(bool detach)
    {
        var registrations = new List<PosixSignalRegistration>();
        IDisposable? raw = null;
        try
        {
            foreach (var signal in Forwarded)
                registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGWINCH, OnResize));
            if (tty && Terminal.IsTerminal(0))
                raw = Terminal.Raw();
            if (forwardStdin && !detach)
                _ = Task.Factory.StartNew(PumpStdinAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
            return await ReadOutputAsync(detach);
        }
        finally
        {
            raw?.Dispose();
            foreach (var registration in registrations)
                registration.Dispose();
        }
    }

    private async Task<int> ReadOutputAsync(bool detach)
    {
        using var reader = new OutputFrameReader(stream);
        try
        {
            while (await reader.ReadAsync() is { } frame)
            {
                switch (frame.Kind)
                {
                    case OutputKind.Started:
                        var started = RunWire.ReadStarted(frame.Payload.Span);
                        Volatile.Write(ref _cpid, started.Cpid);
                        if (detach)
                        {
                            Console.Out.WriteLine(started.Cpid);
                            return 0;
                        }
                        break;
                    case OutputKind.Stdout:
                        Stdio.Write(1, frame.Payload.Span);
                        break;
                    case OutputKind.Stderr:
                        Stdio.Write(2, frame.Payload.Span);
                        break;
                    case OutputKind.Message:
                        Stdio.Write(2, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(frame.Payload.Span) + (tty ? "\r\n" : "\n")));
                        break;
                    case OutputKind.Exit:
                        var exit = RunWire.ReadExit(frame.Payload.Span);
                        return exit.Code;
                }
            }
            Output.Error("the daemon ended the stream without an exit status");
        }
        catch (IOException e)
        {
            Output.Error($"lost the local daemon ({e.Message}): the process's fate is unknown");
        }
        catch (JsonException e)
        {
            Output.Error($"the daemon sent a malformed frame ({e.Message}): the process's fate is unknown");
        }
        return ExitCodes.NodeFailure;
    }

    private async Task PumpStdinAsync()
    {
        // One read per pipeful: fewer, larger frames through the two relays (stdin throughput).
        Stdio.GrowPipe(0);
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            while (true)
            {
                var n = Stdio.Read(0, buffer);
                if (n == 0)
                    break;
                await stream.WriteAsync(buffer.AsMemory(0, n));
            }
            await stream.CompleteWritesAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        var cpid = Volatile.Read(ref _cpid);
        if (cpid != 0)
            _ = Quietly(vproc.KillAsync(cpid, (int)ToNumber(context.Signal), group: false));
    }

    private void OnResize(PosixSignalContext context)
    {
        var cpid = Volatile.Read(ref _cpid);
        if (cpid == 0 || !tty)
            return;
        var (rows, cols) = Terminal.Size();
        if (rows > 0)
            _ = Quietly(vproc.ResizeAsync(cpid, rows, cols));
    }

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

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is Protocol.SsiException or IOException or OperationCanceledException)
        {
        }
    }
}
