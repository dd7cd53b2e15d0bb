using Ssi.Posix;
using Ssi.Vproc.Jobs;
using Ssi.Vproc.Native;

namespace Ssi.Vproc.Tests;

/// <summary>The native layer on this machine: posix_spawn into a session, pidfds, waitid, the shim and a cgroup.</summary>
public class JobTests
{
    private static (int, int) Pipe() => Pipes.Create();

    [Fact]
    public async Task A_spawned_child_is_awaited_through_its_pidfd_and_reports_its_exit_code()
    {
        using var child = await Spawn.StartAsync(new SpawnOptions { Arguments = ["/bin/sh", "-c", "exit 7"], Environment = ["PATH=/usr/bin:/bin"] });

        Assert.Equal(new WaitStatus(7, 0), await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_signal_death_is_reported_as_128_plus_the_signal()
    {
        using var child = await Spawn.StartAsync(new SpawnOptions { Arguments = ["/bin/sleep", "30"], Environment = [] });

        Assert.True(child.Signal(LibC.SIGKILL));
        Assert.Equal(new WaitStatus(137, 9), await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Under_the_shim_the_program_is_pid_2_of_its_own_namespace_and_its_output_is_read_asynchronously()
    {
        var shim = InitShim.Locate();
        var (read, write) = Pipe();
        using var handle = await Spawn.StartAsync(new SpawnOptions
        {
            Arguments = shim.Wrap(["/bin/sh", "-c", "echo $$; exit 3"], null, 0, 0, [], LibC.GetUid()),
            Environment = ["PATH=/usr/bin:/bin"],
            Stdout = write,
            NewPidNamespace = true,
        });
        Syscall.Close(write);
        using var output = new AsyncFd(read);
        var buffer = new byte[64];
        var text = "";
        int n;
        while ((n = await output.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10))) > 0)
            text += System.Text.Encoding.ASCII.GetString(buffer, 0, n);

        Assert.Equal("2", text.Trim());
        Assert.Equal(3, (await handle.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10))).Code);
    }

    [Fact]
    public async Task A_job_cgroup_lists_freezes_and_kills_the_whole_tree()
    {
        var mount = Cgroup2.FindMount();
        Assert.NotNull(mount);
        var cgroup = JobCgroup.Create(Path.Combine(mount!, "ssi", "unit-tests", $"job-{Guid.NewGuid():N}"));
        using var handle = await Spawn.StartAsync(new SpawnOptions { Arguments = ["/bin/sh", "-c", "sleep 0.3; sleep 30 & sleep 30 & wait"], Environment = ["PATH=/usr/bin:/bin"] });
        cgroup.Add(handle.Pid);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (cgroup.Pids().Count < 3 && DateTime.UtcNow < deadline)
            await Task.Delay(20);

        Assert.Equal(3, cgroup.Pids().Count);
        cgroup.Freeze(true);
        deadline = DateTime.UtcNow.AddSeconds(10);
        while (!cgroup.IsFrozen && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.True(cgroup.IsFrozen);

        cgroup.Kill();
        Assert.Equal(137, (await handle.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10))).Code);
        Assert.True(await cgroup.RemoveAsync());
        Assert.False(Directory.Exists(cgroup.Path));
        try
        {
            Directory.Delete(Path.GetDirectoryName(cgroup.Path)!);
        }
        catch (IOException)
        {
            // Another test's job is still there.
        }
    }
}
