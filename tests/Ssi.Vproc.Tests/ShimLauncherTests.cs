using Ssi.Posix;
using Ssi.Vproc.Jobs;
using Ssi.Vproc.Native;

namespace Ssi.Vproc.Tests;

/// <summary>Jobs handed to a shim started ahead of need, and the jobs it cannot take.</summary>
public sealed class ShimLauncherTests : IDisposable
{
    private static readonly string[] s_environment = ["PATH=/usr/bin:/bin", "GREETING=hello there"];
    private readonly ShimLauncher _launcher = new(InitShim.Locate());

    public void Dispose() => _launcher.Dispose();

    private async Task<int> ReadyAsync()
    {
        for (var waited = 0; waited < 200; waited++)
        {
            if (_launcher.ReadyPid is { } pid)
                return pid;
            await Task.Delay(50);
        }
        throw new TimeoutException("no shim got ready within 10 s");
    }

    // Runs the job with its stdout and stderr on one pipe: (pid of its shim, status, output).
    private async Task<(int Pid, int Code, string Output)> RunAsync(ShimJob job)
    {
        var (read, write) = Pipes.Create();
        ProcessHandle handle;
        try
        {
            handle = await _launcher.StartAsync(job with { Stdout = write, Stderr = write });
        }
        finally
        {
            Syscall.Close(write);
        }
        using (handle)
        {
            var output = await ReadAllAsync(read);
            var status = await handle.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            return (handle.Pid, status.Code, output);
        }
    }

    private static async Task<string> ReadAllAsync(int fd)
    {
        using var reader = new AsyncFd(fd);
        var buffer = new byte[4096];
        var text = new System.Text.StringBuilder();
        int n;
        while ((n = await reader.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20))) > 0)
            text.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
        return text.ToString();
    }

    private static ShimJob Job(params string[] argv) => new(argv, s_environment, "/tmp", null, 0, 0, []);

    [Fact]
    public async Task The_waiting_shim_takes_the_job_with_its_environment_and_directory_and_the_next_one_waits()
    {
        var ready = await ReadyAsync();

        var (pid, code, output) = await RunAsync(Job("sh", "-c", "echo $$ $(pwd) $GREETING; read line; echo read ${line:-nothing}; exit 5"));

        Assert.Equal(ready, pid);
        Assert.Equal(5, code);
        Assert.Equal("2 /tmp hello there\nread nothing\n", output);
        Assert.NotEqual(ready, await ReadyAsync());
    }

    [Fact]
    public async Task The_program_gets_exactly_the_jobs_environment()
    {
        await ReadyAsync();

        var (_, code, output) = await RunAsync(Job("env"));

        Assert.Equal(0, code);
        Assert.Equal(string.Join("", s_environment.Select(e => e + "\n")), output);
    }

    [Fact]
    public async Task A_job_with_a_nul_byte_in_a_string_is_spawned_and_the_waiting_shim_keeps_waiting()
    {
        var ready = await ReadyAsync();

        // Handed over, the rest of the string would be read as the shim's own options.
        var (pid, code, output) = await RunAsync(Job("sh", "-c", "echo ran", "x\0--as=0:0:"));

        Assert.NotEqual(ready, pid);
        Assert.Equal(0, code);
        Assert.Equal("ran\n", output);
        Assert.Equal(ready, _launcher.ReadyPid);
    }

    [Fact]
    public async Task A_job_with_an_environment_string_without_equals_is_spawned_and_none_of_it_reads_as_options()
    {
        var ready = await ReadyAsync();

        // Handed over, the empty string would end the environment and what follows would be the
        // shim's options and program, ahead of the job's own (--as among them).
        var job = Job("sh", "-c", "echo ran") with { Environment = [.. s_environment, "", "--", "sh", "-c", "echo injected"] };
        var (pid, code, output) = await RunAsync(job);

        Assert.NotEqual(ready, pid);
        Assert.Equal(0, code);
        Assert.Equal("ran\n", output);
        Assert.Equal(ready, _launcher.ReadyPid);
    }

    [Fact]
    public async Task A_waiting_shim_that_was_killed_is_replaced_and_the_job_still_runs()
    {
        var ready = await ReadyAsync();
        using (var process = System.Diagnostics.Process.GetProcessById(ready))
            process.Kill();
        await Task.Delay(200);

        var (pid, code, output) = await RunAsync(Job("sh", "-c", "echo $$"));

        Assert.NotEqual(ready, pid);
        Assert.Equal(0, code);
        Assert.Equal("2\n", output);
        Assert.NotEqual(ready, await ReadyAsync());
    }

    [Fact]
    public async Task A_waiting_shim_that_dies_is_reaped_and_replaced_without_waiting_for_a_job()
    {
        var ready = await ReadyAsync();
        using (var process = System.Diagnostics.Process.GetProcessById(ready))
            process.Kill();

        // Reaped: not even a zombie is left. Replaced: another shim waits.
        for (var waited = 0; waited < 200 && (Directory.Exists($"/proc/{ready}") || _launcher.ReadyPid is null); waited++)
            await Task.Delay(50);
        Assert.False(Directory.Exists($"/proc/{ready}"), $"the dead shim {ready} was not reaped");
        Assert.NotNull(_launcher.ReadyPid);
        Assert.NotEqual(ready, _launcher.ReadyPid);
    }

    [Fact]
    public async Task A_terminal_job_gets_the_pty_as_its_controlling_terminal()
    {
        await ReadyAsync();
        var (master, slave) = Pipes.OpenPty(24, 80);
        using var handle = await _launcher.StartAsync(Job("sh", "-c", "tty; echo controlling > /dev/tty") with { Terminal = slave });
        // AsyncFd reads a pty master's EIO (the slave's last holder closed it) as the end.
        var output = await ReadAllAsync(master);
        var status = await handle.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(0, status.Code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(slave, lines[0]);
        // /dev/tty opens only for a process that has a controlling terminal.
        Assert.Equal("controlling", lines[1]);
    }

    [Fact]
    public async Task A_shim_that_could_not_be_started_ahead_is_tried_again_at_the_next_job()
    {
        // The shim is missing when the launcher starts, so the first start ahead fails; it is
        // there by the next job, which is spawned, and a shim must then be started ahead again.
        var directory = Directory.CreateTempSubdirectory("ssi-launcher-test-");
        try
        {
            var path = Path.Combine(directory.FullName, "ssi-init");
            using var launcher = new ShimLauncher(new InitShim(path));
            for (var waited = 0; waited < 20 && launcher.ReadyPid is null; waited++)
                await Task.Delay(50);
            Assert.Null(launcher.ReadyPid);
            File.Copy(InitShim.Locate().Path, path);

            var (read, write) = Pipes.Create();
            Syscall.Close(read);
            try
            {
                using var handle = await launcher.StartAsync(Job("true") with { Stdout = write, Stderr = write });
                Assert.Equal(0, (await handle.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20))).Code);
            }
            finally
            {
                Syscall.Close(write);
            }

            for (var waited = 0; waited < 200 && launcher.ReadyPid is null; waited++)
                await Task.Delay(50);
            Assert.NotNull(launcher.ReadyPid);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Let_go_the_waiting_shim_exits()
    {
        var ready = await ReadyAsync();

        _launcher.Dispose();

        for (var waited = 0; waited < 200 && Directory.Exists($"/proc/{ready}"); waited++)
            await Task.Delay(50);
        Assert.False(Directory.Exists($"/proc/{ready}"));
    }
}
