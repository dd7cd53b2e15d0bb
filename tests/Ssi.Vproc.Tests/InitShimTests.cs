using Ssi.Posix;
using Ssi.Vproc.Jobs;
using Ssi.Vproc.Native;

namespace Ssi.Vproc.Tests;

/// <summary>ssi-init (Shim/ssi-init.c) as PID 1 of a job's namespace: identity, status, signals, orphans, errors.</summary>
public class InitShimTests
{
    private static readonly InitShim s_shim = InitShim.Locate();

    /// <summary>
    /// Runs <paramref name="argv"/> as the shim's arguments in a new PID namespace, spawned with
    /// them (cold) or handed to a shim that was waiting (<paramref name="warm"/>, ssi-init --await);
    /// returns its status, stdout and stderr.
    /// </summary>
    private static async Task<(int Code, string Out, string Err)> RunAsync(bool warm, IReadOnlyList<string> argv, Func<ProcessHandle, Task>? meanwhile = null)
    {
        var (outRead, outWrite) = Pipes.Create();
        var (errRead, errWrite) = Pipes.Create();
        using var handle = warm ? await HandAsync(argv, outWrite, errWrite) : await Spawn.StartAsync(new SpawnOptions
        {
            Arguments = [s_shim.Path, .. argv],
            Environment = s_environment,
            Stdout = outWrite,
            Stderr = errWrite,
            NewPidNamespace = true,
        });
        Syscall.Close(outWrite);
        Syscall.Close(errWrite);
        using var stdout = new AsyncFd(outRead);
        using var stderr = new AsyncFd(errRead);
        var reads = Task.WhenAll(ReadAllAsync(stdout), ReadAllAsync(stderr));
        if (meanwhile is not null)
            await meanwhile(handle);
        var status = await handle.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var texts = await reads.WaitAsync(TimeSpan.FromSeconds(20));
        return (status.Code, texts[0], texts[1]);
    }

    private static readonly string[] s_environment = ["PATH=/usr/bin:/bin"];

    private static async Task<ProcessHandle> HandAsync(IReadOnlyList<string> argv, int stdout, int stderr)
    {
        using var warm = await WarmShim.StartAsync(s_shim);
        var stdin = LibC.Open("/dev/null", LibC.O_RDONLY | LibC.O_CLOEXEC);
        try
        {
            return warm.Hand(WarmShim.Encode(s_environment, argv), [stdin, stdout, stderr]) ?? throw new IOException("the waiting shim did not take the job");
        }
        finally
        {
            Syscall.Close(stdin);
        }
    }

    private static async Task<string> ReadAllAsync(AsyncFd fd)
    {
        var buffer = new byte[4096];
        var text = new System.Text.StringBuilder();
        int n;
        while ((n = await fd.ReadAsync(buffer)) > 0)
            text.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
        return text.ToString();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_program_runs_as_pid_2_in_a_process_group_of_its_own_and_its_exit_code_is_the_shims(bool warm)
    {
        var groups = new List<(int Pid, int Group)>();
        using var gate = new Gate();
        var (code, output, _) = await RunAsync(warm, ["--", "sh", "-c", $"echo $$; {gate.Script}; exit 42"], async handle =>
        {
            await gate.ReachedAsync();
            foreach (var pid in new[] { handle.Pid }.Concat(ProcFs.Children(handle.Pid)))
                groups.Add((pid, int.Parse(File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ')[3])));
            gate.Open();
        });

        Assert.Equal(42, code);
        Assert.Equal("2", output.Trim());
        // Seen from here: the shim leads its own group, the program leads another.
        Assert.Equal(2, groups.Count);
        Assert.All(groups, g => Assert.Equal(g.Pid, g.Group));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_program_is_born_in_the_job_cgroup_which_is_made_if_missing_and_the_shim_stays_out(bool warm)
    {
        var mount = Cgroup2.FindMount();
        Assert.NotNull(mount);
        var cgroup = Path.Combine(mount!, "ssi", "unit-tests", $"job-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.GetDirectoryName(cgroup)!);
        try
        {
            int[] members = [];
            var shimPid = 0;
            using var gate = new Gate();
            var (code, output, _) = await RunAsync(warm, [$"--cgroup={cgroup}", "--", "sh", "-c", $"sleep 30 & cat /proc/self/cgroup; {gate.Script}; kill $!"], async handle =>
            {
                shimPid = handle.Pid;
                await gate.ReachedAsync();
                members = JobCgroup.At(cgroup).Pids().ToArray();
                gate.Open();
            });

            Assert.Equal(0, code);
            Assert.Contains("0::/" + Path.GetRelativePath(mount!, cgroup), output);
            Assert.InRange(members.Length, 2, 3);
            Assert.DoesNotContain(shimPid, members);
        }
        finally
        {
            await Cgroup2.RemoveAsync(cgroup, TimeSpan.FromSeconds(5));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_signal_death_becomes_128_plus_the_signal(bool warm)
    {
        var (code, _, _) = await RunAsync(warm, ["--", "sh", "-c", "kill -TERM $$; sleep 5"]);

        Assert.Equal(128 + LibC.SIGTERM, code);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task It_takes_on_the_callers_uid_gid_and_groups(bool warm)
    {
        var (code, output, _) = await RunAsync(warm, ["--as=65534:65534:65534,100", "--", "id"]);

        Assert.Equal(0, code);
        Assert.StartsWith("uid=65534", output);
        Assert.Contains("gid=65534", output);
        Assert.Contains("groups=65534", output);
        Assert.Contains("100", output[output.IndexOf("groups=", StringComparison.Ordinal)..]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_program_enters_its_directory_as_the_caller_and_runs_in_slash_where_the_caller_may_not_go(bool warm)
    {
        var directory = Directory.CreateTempSubdirectory("ssi-init-cwd-");
        try
        {
            File.SetUnixFileMode(directory.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var root = await RunAsync(warm, [$"--cwd={directory.FullName}", "--", "pwd"]);
            var nobody = await RunAsync(warm, ["--as=65534:65534:", $"--cwd={directory.FullName}", "--", "pwd"]);

            Assert.Equal((0, directory.FullName), (root.Code, root.Out.Trim()));
            Assert.Equal((0, "/"), (nobody.Code, nobody.Out.Trim()));
            Assert.Contains($"cannot enter {directory.FullName}", nobody.Err);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_signal_to_the_shim_reaches_the_programs_whole_group(bool warm)
    {
        // The shell and its background subshell both trap TERM; the subshell, started after the
        // shell's trap is set, says when its own is.
        using var gate = new Gate();
        var script = $"trap 'wait; echo parent-got; exit 7' TERM; (trap 'echo child-got; exit 0' TERM; sleep 30 & {gate.Reach}; wait) & sleep 30 & wait";
        var (code, output, _) = await RunAsync(warm, ["--", "sh", "-c", script], async handle =>
        {
            await gate.ReachedAsync();
            Assert.True(handle.Signal(LibC.SIGTERM));
        });

        Assert.Equal(7, code);
        Assert.Contains("child-got", output);
        Assert.Contains("parent-got", output);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Orphans_are_reaped(bool warm)
    {
        var zombies = -1;
        var (code, _, _) = await RunAsync(warm, ["--", "sh", "-c", "(sleep 0.1 &); sleep 3"], async handle =>
        {
            // The subshell exits at once, so sleep 0.1 is the shim's; once it ended, it must be gone.
            await Task.Delay(1500);
            zombies = ProcFs.Children(handle.Pid).Count(pid => ProcFs.Sample(pid)?.State == 'Z');
        });

        Assert.Equal(0, code);
        Assert.Equal(0, zombies);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_missing_program_is_127_and_bad_arguments_126_with_a_message(bool warm)
    {
        var missing = await RunAsync(warm, ["--", "no-such-program-here"]);
        var badIds = await RunAsync(warm, ["--as=nobody:0:", "--", "true"]);
        var noProgram = await RunAsync(warm, ["--"]);
        var unknown = await RunAsync(warm, ["--frobnicate", "--", "true"]);

        Assert.Equal(127, missing.Code);
        Assert.Contains("no-such-program-here", missing.Err);
        Assert.Equal(126, badIds.Code);
        Assert.Contains("--as", badIds.Err);
        Assert.Equal(126, noProgram.Code);
        Assert.Contains("usage", noProgram.Err);
        Assert.Equal(126, unknown.Code);
        Assert.Contains("--frobnicate", unknown.Err);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_file_without_an_interpreter_line_runs_with_sh_as_execvp_would(bool warm)
    {
        var directory = Directory.CreateTempSubdirectory("ssi-init-test-");
        try
        {
            var script = Path.Combine(directory.FullName, "no-interpreter-line");
            File.WriteAllText(script, "echo ran with \"$@\"\nexit 3\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var (code, output, _) = await RunAsync(warm, ["--", script, "a b", "c"]);

            Assert.Equal(3, code);
            Assert.Equal("ran with a b c", output.Trim());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
