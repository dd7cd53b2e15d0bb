namespace Ssi.Ics.Tests;

/// <summary>The stream's reader and writer wake-up: auto-reset, inline on the signalling thread, cancellable.</summary>
public class WakeSignalTests
{
    [Fact]
    public async Task A_set_before_the_wait_completes_it_at_once_and_only_once()
    {
        var signal = new WakeSignal();
        signal.Set();
        signal.Set();

        Assert.True(signal.WaitAsync(CancellationToken.None).AsTask().IsCompleted);
        var second = signal.WaitAsync(CancellationToken.None).AsTask();
        Assert.False(second.IsCompleted);
        signal.Set();
        await second;
    }

    [Fact]
    public async Task The_waiter_runs_on_the_thread_that_sets()
    {
        var signal = new WakeSignal();
        int woke = 0;
        var waiter = signal.WaitAsync(CancellationToken.None).AsTask()
            .ContinueWith(_ => woke = Environment.CurrentManagedThreadId, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        int setter = 0;
        var thread = new Thread(() =>
        {
            setter = Environment.CurrentManagedThreadId;
            signal.Set();
        });
        thread.Start();
        await waiter.WaitAsync(TimeSpan.FromSeconds(10));
        thread.Join();

        Assert.Equal(setter, woke);
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_the_signal_serves_the_next_wait()
    {
        var signal = new WakeSignal();
        using var cancel = new CancellationTokenSource();
        var waiting = signal.WaitAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();

        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(cancel.Token, e.CancellationToken);
        var next = signal.WaitAsync(CancellationToken.None).AsTask();
        signal.Set();
        await next;
    }

    [Fact]
    public void Two_waiters_at_once_are_refused()
    {
        var signal = new WakeSignal();
        var first = signal.WaitAsync(CancellationToken.None).AsTask();

        Assert.Throws<InvalidOperationException>(() => { _ = signal.WaitAsync(CancellationToken.None).AsTask(); });
        Assert.False(first.IsCompleted);
    }
}
