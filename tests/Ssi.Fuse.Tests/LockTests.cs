using Ssi.Fuse.Tests.Infrastructure;

namespace Ssi.Fuse.Tests;

/// <summary>POSIX and flock locks go to the server, and a blocked lock wait is ended by INTERRUPT.</summary>
public sealed class LockTests : IAsyncLifetime
{
    private PassthroughMount _m = null!;

    public async Task InitializeAsync() => _m = await PassthroughMount.CreateAsync();

    public async Task DisposeAsync() => await _m.DisposeAsync();

    [Fact]
    public async Task Flock_through_the_mount_excludes_other_holders_and_local_users_of_the_backing_file()
    {
        await File.WriteAllTextAsync(_m.InMount("flocked"), "");
        // The holder says when it has the lock and keeps it until killed (a fixed wait fails on a loaded machine).
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock", ["-x", _m.InMount("flocked"), "sh", "-c", "echo held; exec sleep 60"])
        {
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.Equal("held", await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));

            Shell.Result throughMount = await Shell.RunAsync($"flock -n -x '{_m.InMount("flocked")}' true");
            Shell.Result onBacking = await Shell.RunAsync($"flock -n -x '{_m.InBacking("flocked")}' true");
            Assert.Equal(1, throughMount.ExitCode);
            Assert.Equal(1, onBacking.ExitCode);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync();
        }
        // The killed sleep may still hold its copy of the descriptor for a moment.
        var free = await Shell.RunAsync($"flock -w 30 -x '{_m.InMount("flocked")}' true");
        Assert.Equal(0, free.ExitCode);
    }

    [Fact]
    public async Task Posix_locks_conflict_between_processes_and_are_released_on_close()
    {
        await File.WriteAllTextAsync(_m.InMount("record"), "data");
        int fd = TestLibc.Open(_m.InMount("record"), 2, 0);
        Assert.True(fd >= 0);
        try
        {
            Assert.Equal(0, TestLibc.LockWhole(fd, wait: false));
            using var waiter = HelperProcess.Start("lockwait", _m.InMount("record"));
            await waiter.WaitForLineAsync("WAITING", TimeSpan.FromSeconds(30));
            Assert.False(await waiter.PrintsWithinAsync("LOCKED", TimeSpan.FromMilliseconds(700)));

            TestLibc.Close(fd); // close(2) drops this process's locks: FLUSH carries the lock owner
            fd = -1;
            Assert.True(await waiter.PrintsWithinAsync("LOCKED", TimeSpan.FromSeconds(10)));
        }
        finally
        {
            if (fd >= 0)
                TestLibc.Close(fd);
        }
    }

    [Fact]
    public async Task Killing_a_process_blocked_in_setlkw_interrupts_the_request()
    {
        await File.WriteAllTextAsync(_m.InMount("contended"), "data");
        int fd = TestLibc.Open(_m.InMount("contended"), 2, 0);
        Assert.True(fd >= 0);
        try
        {
            Assert.Equal(0, TestLibc.LockWhole(fd, wait: false));
            using var waiter = HelperProcess.Start("lockwait", _m.InMount("contended"));
            await waiter.WaitForLineAsync("WAITING", TimeSpan.FromSeconds(30));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (_m.Mount.ActiveRequests == 0 && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            Assert.Equal(1, _m.Mount.ActiveRequests);
            int interruptsBefore = _m.Mount.InterruptsDelivered;

            waiter.KillHard();

            // A killed task waits for the answer to its sent request: it can only exit once INTERRUPT ended the wait.
            Assert.True(await waiter.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the killed waiter should exit");
            // At least the blocked SETLKW's; the dying task's exit-time unlock (sent because the
            // inode has POSIX locks, ours) is a FUSE request of a killed task too, and may be
            // interrupted while in flight as well.
            Assert.True(_m.Mount.InterruptsDelivered > interruptsBefore, "the blocked request was interrupted");
            deadline = DateTime.UtcNow.AddSeconds(5);
            while (_m.Mount.ActiveRequests != 0 && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            Assert.Equal(0, _m.Mount.ActiveRequests);
            // The lock is still ours, and the next waiter gets it once we release it.
            using var next = HelperProcess.Start("lockwait", _m.InMount("contended"));
            await next.WaitForLineAsync("WAITING", TimeSpan.FromSeconds(30));
            Assert.False(await next.PrintsWithinAsync("LOCKED", TimeSpan.FromMilliseconds(500)));
            Assert.Equal(0, TestLibc.UnlockWhole(fd));
            Assert.True(await next.PrintsWithinAsync("LOCKED", TimeSpan.FromSeconds(10)));
        }
        finally
        {
            TestLibc.Close(fd);
        }
    }
}
