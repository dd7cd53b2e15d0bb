using Ssi.Fuse.Passthrough;
using Ssi.Fuse.Tests.Infrastructure;

namespace Ssi.Fuse.Tests;

/// <summary>A server killed with SIGKILL leaves a dead mount; the next mount at the same point clears it.</summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task Mounting_again_where_a_killed_server_left_a_dead_mount_succeeds()
    {
        string directory = PassthroughMount.NewTestDirectory();
        string backing = Path.Combine(directory, "backing");
        string mountPoint = Path.Combine(directory, "mnt");
        await File.WriteAllTextAsync(Path.Combine(backing, "survivor"), "still here");
        try
        {
            using (var server = HelperProcess.Start("serve", backing, mountPoint))
            {
                await server.WaitForLineAsync("MOUNTED", TimeSpan.FromSeconds(30));
                Assert.Equal("still here", await File.ReadAllTextAsync(Path.Combine(mountPoint, "survivor")));
                server.KillHard();
                Assert.True(await server.WaitForExitAsync(TimeSpan.FromSeconds(10)));
            }
            Assert.Equal(Errno.ENOTCONN.Value, TestLibc.Stat(mountPoint));

            using var fileSystem = new PassthroughFileSystem(backing);
            using (var mount = await FuseMount.MountAsync(mountPoint, fileSystem))
            {
                Assert.Equal("still here", await File.ReadAllTextAsync(Path.Combine(mountPoint, "survivor")));
                Assert.Single(File.ReadAllLines("/proc/self/mounts"), line => line.Contains($" {mountPoint} ", StringComparison.Ordinal));
            }
            Assert.DoesNotContain($" {mountPoint} ", await File.ReadAllTextAsync("/proc/self/mounts"));
        }
        finally
        {
            FuseMount.ClearStaleMount(mountPoint);
            PassthroughMount.TryDelete(directory);
        }
    }

    [Fact]
    public async Task A_leftover_mount_whose_server_never_answers_is_aborted_and_detached_without_a_request()
    {
        string directory = PassthroughMount.NewTestDirectory();
        // A space, which the mount table writes as \040.
        string mountPoint = Path.Combine(directory, "mount point");
        Directory.CreateDirectory(mountPoint);
        try
        {
            using var server = HelperProcess.Start("serve", Path.Combine(directory, "backing"), mountPoint);
            try
            {
                await server.WaitForLineAsync("MOUNTED", TimeSpan.FromSeconds(30));
                // Stopped, the server holds its connection but reads nothing: any request to the mount
                // would wait for good, as with a daemon killed while one of its threads used its own mount.
                Assert.Equal(0, TestLibc.Kill(server.Pid, TestLibc.SIGSTOP));

                var removed = await Task.Run(() => FuseMount.AbortLeftoverMounts(mountPoint)).WaitAsync(TimeSpan.FromSeconds(30));

                Assert.Equal(1, removed);
                Assert.DoesNotContain($" {mountPoint.Replace(" ", "\\040", StringComparison.Ordinal)} ", await File.ReadAllTextAsync("/proc/self/mounts"));
                Assert.Equal(0, FuseMount.AbortLeftoverMounts(mountPoint));
            }
            finally
            {
                server.KillHard();
                TestLibc.Kill(server.Pid, TestLibc.SIGCONT);
                await server.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
        }
        finally
        {
            FuseMount.AbortLeftoverMounts(mountPoint);
            PassthroughMount.TryDelete(directory);
        }
    }

    [Fact]
    public async Task Disposing_with_a_file_still_open_aborts_the_connection_and_returns()
    {
        await using var m = await PassthroughMount.CreateAsync();
        await File.WriteAllTextAsync(m.InMount("held"), "x");
        var held = new FileStream(m.InMount("held"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        try
        {
            var started = DateTime.UtcNow;
            await Task.Run(m.Mount.Dispose);
            Assert.True(m.Mount.Completion.IsCompleted);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
            Assert.DoesNotContain($" {m.MountPoint} ", await File.ReadAllTextAsync("/proc/self/mounts"));
        }
        finally
        {
            try
            {
                held.Dispose();
            }
            catch (IOException)
            {
            }
        }
    }
}
