using System.Diagnostics;
using Ssi.Cfs.Tests.Infrastructure;
using Ssi.Cfs.Tests.Posix;
using Xunit.Abstractions;

namespace Ssi.Cfs.Tests;

/// <summary>Record locks and flock locks are held at the server: two nodes contend as two processes on one machine do.</summary>
[Collection("cfs")]
public sealed class LockTests(ITestOutputHelper output) : IAsyncLifetime
{
    private CfsRig _rig = null!;
    private string _server = null!, _remote = null!;

    public async Task InitializeAsync()
    {
        _rig = await CfsRig.StartAsync();
        File.WriteAllText(Path.Combine(_rig.LocalPath, "locked"), "0123456789");
        _server = Path.Combine(_rig.LocalPath, "locked");
        _remote = Path.Combine(_rig.RemotePath, "locked");
    }

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task A_lock_on_one_node_blocks_the_other_until_it_is_released()
    {
        int a = Sys.Open(_server, Sys.O_RDWR, 0), b = Sys.Open(_remote, Sys.O_RDWR, 0);
        Assert.Equal(0, Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 5));
        Assert.Equal(11, Sys.Lock(b, Sys.F_OFD_SETLK, Sys.F_WRLCK, 3, 4));
        Assert.Equal(0, Sys.Lock(b, Sys.F_OFD_SETLK, Sys.F_WRLCK, 5, 5));
        var (error, conflict) = Sys.GetLock(b, Sys.F_OFD_GETLK, Sys.F_RDLCK, 0, 0);
        Assert.Equal((0, Sys.F_WRLCK, 0L, 5L), (error, conflict.Type, conflict.Start, conflict.Length));

        var waiting = Task.Run(() => Sys.Lock(b, Sys.F_OFD_SETLKW, Sys.F_WRLCK, 0, 5));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "F_SETLKW returned while the other node held the lock");
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_UNLCK, 0, 5));
        Assert.Equal(0, await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        output.WriteLine($"waiter got the lock {clock.ElapsedMilliseconds} ms after the unlock");
        Assert.Equal(11, Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_RDLCK, 0, 1));
        Sys.Close(a);
        Sys.Close(b);
    }

    [Fact]
    public async Task OFD_locks_go_with_the_last_close_of_their_open_file()
    {
        int a = Sys.Open(_server, Sys.O_RDWR, 0), b = Sys.Open(_remote, Sys.O_RDWR, 0);
        Assert.Equal(0, Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 0));
        Sys.Close(a);
        var clock = Stopwatch.StartNew();
        while (Sys.Lock(b, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 0) != 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), "the closed file's OFD lock stayed");
            await Task.Delay(1);
        }
        output.WriteLine($"free {clock.Elapsed.TotalMilliseconds:0.0} ms after close (FUSE sends RELEASE after close returns)");
        Sys.Close(b);
    }

    [Fact]
    public async Task Flock_contends_across_nodes_and_is_released_on_close()
    {
        int a = Sys.Open(_server, Sys.O_RDONLY, 0), b = Sys.Open(_remote, Sys.O_RDONLY, 0);
        Assert.Equal(0, Sys.FlockFile(a, Sys.LOCK_EX | Sys.LOCK_NB));
        Assert.Equal(-1, Sys.FlockFile(b, Sys.LOCK_SH | Sys.LOCK_NB));
        Assert.Equal(11, Sys.Errno);
        Sys.Close(a);
        // FUSE releases a flock lock with RELEASE, which the kernel sends after close(2) returns.
        var clock = Stopwatch.StartNew();
        while (Sys.FlockFile(b, Sys.LOCK_EX | Sys.LOCK_NB) != 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), "the closed file's flock lock stayed");
            await Task.Delay(1);
        }
        Sys.Close(b);
    }

    [Fact]
    public async Task Locks_of_a_process_are_released_when_it_dies()
    {
        using var holder = HelperProcess.Start("lock", _remote);
        await holder.WaitForLineAsync("LOCKED", TimeSpan.FromSeconds(20));
        int a = Sys.Open(_server, Sys.O_RDWR, 0);
        Assert.Equal(11, Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 0));
        var clock = Stopwatch.StartNew();
        holder.KillHard();
        Assert.True(await holder.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        while (Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 0) != 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "the dead process's lock was not released");
            await Task.Delay(10);
        }
        output.WriteLine($"lock free {clock.ElapsedMilliseconds} ms after SIGKILL");
        Sys.Close(a);
    }

    [Fact]
    public async Task A_waiting_F_SETLKW_ends_when_its_process_is_killed_and_leaves_no_lock_behind()
    {
        int a = Sys.Open(_server, Sys.O_RDWR, 0);
        Assert.Equal(0, Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 0));
        using var waiter = HelperProcess.Start("lock", _remote);
        var deadline = Stopwatch.StartNew();
        while (_rig.Server.GetStatus().Clients.Sum(c => c.LockWaits) == 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "the helper never waited at the server");
            await Task.Delay(20);
        }
        waiter.KillHard();
        Assert.True(await waiter.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        deadline.Restart();
        while (_rig.Server.GetStatus().Clients.Sum(c => c.LockWaits) != 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(5), "the interrupted wait is still at the server");
            await Task.Delay(20);
        }
        Assert.Equal(0, Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_UNLCK, 0, 0));
        int b = Sys.Open(_server, Sys.O_RDWR, 0);
        Assert.Equal(0, Sys.Lock(b, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 0));
        Sys.Close(b);
        Sys.Close(a);
    }

    [Fact]
    public async Task Locks_and_waits_of_a_dead_node_are_released_by_the_nodedown_handler()
    {
        int b = Sys.Open(_remote, Sys.O_RDWR, 0);
        Assert.Equal(0, Sys.Lock(b, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 0));
        int a = Sys.Open(_server, Sys.O_RDWR, 0);
        Assert.Equal(11, Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 0));
        var status = _rig.Server.GetStatus().Clients.Single(c => c.Node == 2);
        Assert.True(status.LockOwners > 0 && status.OpenFiles > 0, status.ToString());

        _rig.Remote.ServerDown();
        await _rig.Server.NodeDownAsync(2);
        Assert.Equal(0, Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 0));
        Assert.DoesNotContain(_rig.Server.GetStatus().Clients, c => c.Node == 2);
        Sys.Close(a);
        Sys.Close(b);
    }
}
