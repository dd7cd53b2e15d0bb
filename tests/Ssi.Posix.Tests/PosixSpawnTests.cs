namespace Ssi.Posix.Tests;

/// <summary>posix_spawn through <see cref="PosixSpawn"/>, and the child's end through its <see cref="Pidfd"/>.</summary>
public class PosixSpawnTests : IDisposable
{
    private const int O_RDONLY = 0x0;
    private const int O_WRONLY = 0x1;
    private const int O_CREAT = 0x40;
    private const int O_APPEND = 0x400;
    private const int SIGKILL = 9;

    private readonly string _directory = Directory.CreateTempSubdirectory("ssi-posix-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_child_found_in_PATH_writes_through_its_file_actions_and_its_exit_code_is_reaped()
    {
        var log = Path.Combine(_directory, "out.log");
        File.WriteAllText(log, "before\n");

        var status = await RunAsync(spawn =>
        {
            spawn.Open(0, "/dev/null", O_RDONLY);
            spawn.Open(1, log, O_WRONLY | O_CREAT | O_APPEND, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            spawn.Dup2(1, 2);
            spawn.Chdir(_directory);
            spawn.CloseFrom(3);
            spawn.NewSessionWithDefaultSignals();
            return spawn.Start(["sh", "-c", "pwd; echo $GREETING >&2; exit 7"], ["GREETING=hello", "PATH=/usr/bin:/bin"], searchPath: true);
        });

        Assert.Equal(new WaitStatus(7, 0), status);
        Assert.Equal($"before\n{_directory}\nhello\n", File.ReadAllText(log));
    }

    [Fact]
    public async Task The_child_leads_a_new_session()
    {
        var log = Path.Combine(_directory, "sid");
        int pid = 0;
        await RunAsync(spawn =>
        {
            spawn.Open(1, log, O_WRONLY | O_CREAT, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            spawn.NewSessionWithDefaultSignals();
            pid = spawn.Start(["/bin/sh", "-c", "exec cut -d' ' -f6 /proc/self/stat"], [], searchPath: false);
            return pid;
        });

        Assert.Equal($"{pid}\n", File.ReadAllText(log));
    }

    [Fact]
    public void Without_PATH_lookup_a_bare_name_is_not_found_and_the_error_names_it()
    {
        using var spawn = new PosixSpawn();

        var error = Assert.Throws<IOException>(() => spawn.Start(["sh", "-c", "true"], [], searchPath: false));

        Assert.Equal("cannot start sh: posix_spawn failed with errno 2", error.Message);
    }

    [Fact]
    public async Task A_signal_death_is_reported_as_128_plus_the_signal_and_a_reaped_child_takes_no_more_signals()
    {
        using var spawn = new PosixSpawn();
        spawn.NewSessionWithDefaultSignals();
        using var child = Pidfd.Open(spawn.Start(["/bin/sleep", "30"], [], searchPath: false))!;

        Assert.False(child.HasExited);
        Assert.True(child.Signal(SIGKILL));
        Assert.True(await child.WaitUntilExitedAsync(TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.True(child.HasExited);
        Assert.Equal(new WaitStatus(128 + SIGKILL, SIGKILL), child.TryReap());
        Assert.False(child.Signal(SIGKILL));
    }

    [Fact]
    public void A_process_that_does_not_exist_has_no_pidfd()
    {
        Assert.Null(Pidfd.Open(int.MaxValue));
    }

    private static async Task<WaitStatus> RunAsync(Func<PosixSpawn, int> start)
    {
        int pid;
        using (var spawn = new PosixSpawn())
            pid = start(spawn);
        using var child = Pidfd.Open(pid)!;
        Assert.True(await child.WaitUntilExitedAsync(TimeSpan.FromSeconds(10), CancellationToken.None));
        return child.TryReap() ?? throw new InvalidOperationException("exited but not reaped");
    }
}
