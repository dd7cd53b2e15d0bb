using System.Threading.Tasks.Sources;

namespace Ssi.Ics;

/// <summary>
/// An auto-reset wake-up for one waiter at a time, whose continuation runs on the thread that
/// signals it. A stream's reader is woken by the connection's receive loop: with SemaphoreSlim
/// every received frame first woke a pool thread (a context switch per frame and per relay hop);
/// here the reader runs on at once until its next await (a relay's write, its next read).
/// Waiters must not block synchronously after waking: that would hold up the whole connection.
/// </summary>
internal sealed class WakeSignal : IValueTaskSource
{
    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<bool> _core;
    private bool _set;
    private bool _waiting;
    private CancellationTokenRegistration _registration;

    /// <summary>Completes at the next <see cref="Set"/> (at once if one came since the last wait).</summary>
    public ValueTask WaitAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_set)
            {
                _set = false;
                return ValueTask.CompletedTask;
            }
            if (ct.IsCancellationRequested)
                return ValueTask.FromCanceled(ct);
            if (_waiting)
                throw new InvalidOperationException("a stream serves one waiting reader or writer at a time");
            _core.Reset();
            _waiting = true;
            var version = _core.Version;
            // A token cancelled from now on runs Cancel, here or on another thread; it takes the gate too.
            _registration = ct.UnsafeRegister(static (s, token) => ((WakeSignal)s!).Cancel(token), this);
            return new ValueTask(this, version);
        }
    }

    /// <summary>Wakes the waiter, on this thread; with none, the next wait completes at once.</summary>
    public void Set()
    {
        lock (_gate)
        {
            if (!_waiting)
            {
                _set = true;
                return;
            }
            _waiting = false;
            _registration.Unregister();
        }
        _core.SetResult(true);
    }

    private void Cancel(CancellationToken token)
    {
        lock (_gate)
        {
            if (!_waiting)
                return;
            _waiting = false;
        }
        _core.SetException(new OperationCanceledException(token));
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
