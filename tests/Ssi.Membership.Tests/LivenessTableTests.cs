namespace Ssi.Membership.Tests;

public sealed class LivenessTableTests
{
    private static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void A_node_is_suspect_only_after_the_silence_limit()
    {
        var table = new LivenessTable(Ms(400), Ms(250));
        table.Heard(1, Ms(0));
        Assert.False(table.IsSuspect(1, Ms(400)));
        Assert.True(table.IsSuspect(1, Ms(401)));
        table.Heard(1, Ms(401));
        Assert.False(table.IsSuspect(1, Ms(700)));
    }

    [Fact]
    public void Unwatched_nodes_are_never_suspect_and_watching_starts_the_clock()
    {
        var table = new LivenessTable(Ms(400), Ms(250));
        Assert.False(table.IsSuspect(7, Ms(10_000)));
        table.Watch(7, Ms(10_000));
        Assert.False(table.IsSuspect(7, Ms(10_300)));
        Assert.True(table.IsSuspect(7, Ms(10_500)));
        table.Watch(7, Ms(10_500));
        Assert.True(table.IsSuspect(7, Ms(10_500)));
    }

    [Fact]
    public void A_stall_of_the_observer_is_forgiven()
    {
        var table = new LivenessTable(Ms(400), Ms(250));
        table.Heard(1, Ms(0));
        table.Tick(Ms(50));
        // This process was not scheduled for 600 ms: heartbeats are waiting in its socket buffers.
        var forgiven = table.Tick(Ms(650));
        Assert.Equal(Ms(600), forgiven);
        Assert.False(table.IsSuspect(1, Ms(650)));
        Assert.True(table.IsSuspect(1, Ms(1100)));
    }

    [Fact]
    public void Regular_ticks_forgive_nothing()
    {
        var table = new LivenessTable(Ms(400), Ms(250));
        table.Heard(1, Ms(0));
        for (var t = 50; t <= 500; t += 50)
            Assert.Equal(TimeSpan.Zero, table.Tick(Ms(t)));
        Assert.True(table.IsSuspect(1, Ms(500)));
    }

    [Fact]
    public void A_reset_node_is_unconfirmed_until_heard()
    {
        var table = new LivenessTable(Ms(400), Ms(250));
        table.Reset(3, Ms(0));
        Assert.False(table.IsConfirmed(3));
        table.Heard(3, Ms(100));
        Assert.True(table.IsConfirmed(3));
        table.Forget(3);
        Assert.False(table.IsConfirmed(3));
        Assert.Null(table.Silence(3, Ms(200)));
    }
}
