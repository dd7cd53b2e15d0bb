using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Ssi.Vproc.Native;

/// <summary>
/// Readiness for plain file descriptors (pipes, pty masters, pidfds) through one epoll thread,
/// so that stdio of many cluster processes costs no thread each. Every wait arms the
/// descriptor once (EPOLLONESHOT); the waiter then retries its non-blocking call. Waiters go
/// on on the epoll thread up to their next wait (as .NET's sockets do with inline completions):
/// a pool thread's wake-up per pipeful was a context switch per 256 KiB of a job's stdio. So a
/// waiter must never block synchronously: every job's stdio would stop with it.
/// </summary>
internal sealed unsafe class FdPoller
{
    private static readonly Lazy<FdPoller> s_shared = new(() => new FdPoller());
    private static readonly bool s_packedEvents = RuntimeInformation.ProcessArchitecture == Architecture.X64;
    private readonly int _epoll;
    private readonly ConcurrentDictionary<int, Waiter> _waiters = new();
    private readonly ConcurrentDictionary<int, byte> _registered = new();

    private FdPoller()
    {
        _epoll = LibC.EpollCreate1(LibC.EPOLL_CLOEXEC);
        if (_epoll < 0)
            throw new IOException($"epoll_create1 failed: errno {LibC.Errno}");
        new Thread(Loop) { IsBackground = true, Name = "vproc-epoll" }.Start();
    }

    /// <summary>The process-wide poller.</summary>
    public static FdPoller Shared => s_shared.Value;

    /// <summary>Completes when <paramref name="fd"/> is ready for <paramref name="events"/> (or has an error or hang-up).</summary>
    public Task<uint> WaitAsync(int fd, uint events, CancellationToken ct = default)
    {
        var waiter = new Waiter();
        if (!_waiters.TryAdd(fd, waiter))
            throw new InvalidOperationException($"descriptor {fd} already has a waiter");
        // Registered before the descriptor is armed: the epoll thread completes only armed waits.
        if (ct.CanBeCanceled)
        {
            waiter.Cancellation = ct.UnsafeRegister(_ =>
            {
                if (_waiters.TryRemove(new KeyValuePair<int, Waiter>(fd, waiter)))
                    waiter.TrySetCanceled(ct);
            }, null);
        }
        var op = _registered.TryAdd(fd, 0) ? LibC.EPOLL_CTL_ADD : LibC.EPOLL_CTL_MOD;
        if (Control(op, fd, events | LibC.EPOLLONESHOT) != 0)
        {
            var errno = LibC.Errno;
            if (op == LibC.EPOLL_CTL_ADD)
                _registered.TryRemove(fd, out _);
            if (_waiters.TryRemove(new KeyValuePair<int, Waiter>(fd, waiter)))
                waiter.Fail(new IOException($"epoll_ctl on descriptor {fd} failed: errno {errno}"));
        }
        return waiter.Task;
    }

    /// <summary>Forgets <paramref name="fd"/> before it is closed; a pending waiter fails.</summary>
    public void Remove(int fd)
    {
        if (_registered.TryRemove(fd, out _))
            Control(LibC.EPOLL_CTL_DEL, fd, 0);
        if (_waiters.TryRemove(fd, out var waiter))
            waiter.Fail(new ObjectDisposedException($"descriptor {fd}"));
    }

    private int Control(int op, int fd, uint events)
    {
        if (s_packedEvents)
        {
            var ev = new LibC.EpollEventX64 { Events = events, Data = (ulong)fd };
            return LibC.EpollCtl(_epoll, op, fd, &ev);
        }
        var arm = new LibC.EpollEventArm { Events = events, Data = (ulong)fd };
        return LibC.EpollCtl(_epoll, op, fd, &arm);
    }

    private void Loop()
    {
        const int Max = 64;
        var size = s_packedEvents ? sizeof(LibC.EpollEventX64) : sizeof(LibC.EpollEventArm);
        byte* events = (byte*)NativeMemory.Alloc((nuint)(Max * size));
        while (true)
        {
            int n = LibC.EpollWait(_epoll, events, Max, -1);
            if (n < 0)
            {
                if (LibC.Errno == LibC.EINTR)
                    continue;
                return;
            }
            for (int i = 0; i < n; i++)
            {
                uint ready;
                int fd;
                if (s_packedEvents)
                {
                    var ev = ((LibC.EpollEventX64*)events)[i];
                    (ready, fd) = (ev.Events, (int)ev.Data);
                }
                else
                {
                    var ev = ((LibC.EpollEventArm*)events)[i];
                    (ready, fd) = (ev.Events, (int)ev.Data);
                }
                if (_waiters.TryRemove(fd, out var waiter))
                    waiter.Succeed(ready);
            }
        }
    }

    // A wait; its cancellation callback is dropped once it completes (a job's token outlives
    // thousands of waits), and its continuation runs on the completing thread.
    private sealed class Waiter() : TaskCompletionSource<uint>(TaskCreationOptions.None)
    {
        public CancellationTokenRegistration Cancellation { get; set; }

        public void Succeed(uint ready)
        {
            Cancellation.Unregister();
            TrySetResult(ready);
        }

        public void Fail(Exception error)
        {
            Cancellation.Unregister();
            TrySetException(error);
        }
    }
}
