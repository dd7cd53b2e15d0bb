using System.Diagnostics;
using System.Security.Cryptography;
using Ssi.Vproc;
using Xunit.Abstractions;

namespace Ssi.ClusterTests;

/// <summary>Clusterwide processes on a real 3-node box, driven through the ssi command line.</summary>
[Trait("Category", "Cluster")]
[Collection("box")]
public partial class VprocTests(ITestOutputHelper output)
{
    private async Task<VprocShell> UpAsync() => new(await TestBox.UpAsync(3, output));

    [Fact]
    public async Task A_pipe_between_programs_on_two_nodes_carries_a_million_lines()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        var clock = Stopwatch.StartNew();

        var (exit, stdout, stderr) = await shell.RunAsync("ssi run -n 2 -- seq 1 1000000 | ssi run -n 3 -- wc -l");

        output.WriteLine($"seq | wc across nodes: {clock.ElapsedMilliseconds} ms");
        Assert.True(exit == 0, stderr);
        Assert.Equal("1000000", stdout.Trim());
    }

    [Fact]
    public async Task A_hundred_megabytes_of_random_bytes_come_back_from_another_node_identical()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        var input = Path.Combine(Path.GetTempPath(), $"vproc-{Guid.NewGuid():N}.in");
        var result = input[..^3] + ".out";
        try
        {
            await File.WriteAllBytesAsync(input, RandomNumberGenerator.GetBytes(100 << 20));
            var clock = Stopwatch.StartNew();

            var (exit, _, stderr) = await shell.RunAsync($"ssi run -n 2 -- cat < {input} > {result}");

            output.WriteLine($"100 MiB through cat on node 2: {clock.ElapsedMilliseconds} ms ({100_000.0 / clock.ElapsedMilliseconds:0} MiB/s)");
            Assert.True(exit == 0, stderr);
            Assert.Equal(new FileInfo(input).Length, new FileInfo(result).Length);
            Assert.Equal(SHA256.HashData(await File.ReadAllBytesAsync(input)), SHA256.HashData(await File.ReadAllBytesAsync(result)));
        }
        finally
        {
            File.Delete(input);
            File.Delete(result);
        }
    }

    [Fact]
    public async Task Exit_codes_and_signal_deaths_propagate_as_in_a_shell()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;

        Assert.Equal(7, (await shell.RunAsync("ssi run -n 2 -- sh -c 'exit 7'")).Exit);
        Assert.Equal(0, (await shell.RunAsync("ssi run -n 3 -- true")).Exit);
        Assert.Equal(128 + 9, (await shell.RunAsync("ssi run -n 2 -- sh -c 'kill -KILL $$'")).Exit);
        Assert.Equal(128 + 15, (await shell.RunAsync("ssi run -n 3 -- sh -c 'kill -TERM $$'")).Exit);
        var missing = await shell.RunAsync("ssi run -n 2 -- no-such-command-here");
        Assert.Equal(ExitCodes.NotFound, missing.Exit);
        Assert.Contains("command not found on node 2", missing.Err);
        var head = await shell.RunAsync("seq 1 1000000 | ssi run -n 2 -- head -3");
        Assert.Equal((0, "1\n2\n3\n"), (head.Exit, head.Out));
        var split = await shell.RunAsync("ssi run -n 3 -- sh -c 'echo out; echo err >&2'");
        Assert.Equal(("out\n", "err\n"), (split.Out, split.Err));
    }

    [Fact]
    public async Task Signals_received_by_ssi_run_reach_the_program_on_the_other_node()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        using var run = shell.Start("exec ssi run -n 2 -- sh -c 'trap \"echo got USR1; exit 5\" USR1; while :; do sleep 0.05; done'");
        await shell.WaitForPsAsync(rows => rows.Any(r => r.Command.Contains("trap", StringComparison.Ordinal)), "the trapping shell");

        Assert.Equal(0, Kill(run.Id, 10));
        await run.WaitForExitAsync().WaitAsync(VprocShell.Patience);

        Assert.Equal("got USR1", (await run.StandardOutput.ReadToEndAsync()).Trim());
        Assert.Equal(5, run.ExitCode);

        using var sleeper = shell.Start("exec ssi run -n 3 -- sleep 100");
        await shell.WaitForPsAsync(rows => rows.Any(r => r.Command == "sleep 100"), "sleep 100");
        Assert.Equal(0, Kill(sleeper.Id, 2));
        await sleeper.WaitForExitAsync().WaitAsync(VprocShell.Patience);
        Assert.Equal(128 + 2, sleeper.ExitCode);
    }

    [Fact]
    public async Task A_signal_that_comes_before_the_process_has_started_is_passed_on_once_it_has()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        using var run = shell.Start("exec ssi run -n 3 -- sleep 100");
        // ssi run catches SIGINT from just after it asked for the start: the Started frame is
        // milliseconds away then, and a signal in between used to be dropped.
        var deadline = DateTime.UtcNow + VprocShell.Patience;
        while (!CatchesSigint(run.Id))
        {
            Assert.True(DateTime.UtcNow < deadline && !run.HasExited, "ssi run never caught SIGINT");
            await Task.Delay(1);
        }
        Assert.Equal(0, Kill(run.Id, 2));

        await run.WaitForExitAsync().WaitAsync(VprocShell.Patience);
        Assert.Equal(128 + 2, run.ExitCode);
        await shell.WaitForPsAsync(rows => !rows.Any(r => r.Command == "sleep 100"), "sleep 100 gone");
    }

    // ssi itself (not the shell that execs it) with a SIGINT handler.
    private static bool CatchesSigint(int pid)
    {
        try
        {
            if (File.ReadAllText($"/proc/{pid}/comm").Trim() != "ssi")
                return false;
            var caught = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("SigCgt:", StringComparison.Ordinal))[7..].Trim();
            return (Convert.ToUInt64(caught, 16) & (1UL << (2 - 1))) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_program_that_ignores_SIGTERM_is_killed_by_SIGKILL()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        var cpid = await shell.DetachAsync("-n 3", "sh -c 'trap \"\" TERM; while :; do sleep 0.05; done'");
        await shell.WaitForPsAsync(rows => rows.Any(r => r.Cpid == cpid), $"cluster process {cpid}");

        Assert.Equal(0, (await shell.RunAsync($"ssi kill {cpid}")).Exit);
        await Task.Delay(500);
        Assert.Contains((await shell.PsAsync()).Processes, r => r.Id == cpid.ToString());

        Assert.Equal(0, (await shell.RunAsync($"ssi kill -9 {cpid}")).Exit);
        await shell.WaitForPsAsync(rows => rows.All(r => r.Cpid != cpid), $"cluster process {cpid} gone");
        var where = await shell.RunAsync($"ssi where {cpid}");
        Assert.Equal("3", where.Out.Trim());
        Assert.Contains("137", where.Err);
    }

    [Fact]
    public async Task A_grandchild_that_daemonizes_is_listed_with_its_job_and_killed_with_its_group()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        // A double fork: the daemon's parent exits, so it is reparented to the job's PID 1.
        var cpid = await shell.DetachAsync("-n 2", "sh -c '(setsid sleep 1001 </dev/null >/dev/null 2>&1 &); exec sleep 1002'");

        var listed = await shell.WaitForPsAsync(rows => rows.Count(r => r.Cpid == cpid) == 2, "the program and its daemon");
        Assert.Contains(listed.Processes, r => r.Id == cpid.ToString() && r.Command == "sleep 1002");
        Assert.Contains(listed.Processes, r => r.Id.StartsWith($"{cpid}.", StringComparison.Ordinal) && r.Command == "sleep 1001" && r.Group == cpid);
        var tree = await shell.RunAsync("ssi ps --tree");
        output.WriteLine(tree.Out);

        Assert.Equal(0, (await shell.RunAsync($"ssi kill -KILL -- -{cpid}")).Exit);

        await shell.WaitForPsAsync(rows => rows.All(r => r.Cpid != cpid), "the whole group gone");
        var host = await shell.RunAsync("pgrep -f 'sleep 100[12]' || true");
        Assert.Equal("", host.Out.Trim());
    }

    [Fact]
    public async Task A_non_root_user_runs_as_itself_and_cannot_signal_roots_processes()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        const string Nobody = "setpriv --reuid 65534 --regid 65534 --clear-groups --";
        var cpid = await shell.DetachAsync("-n 2", "sleep 300");

        var identity = await shell.RunAsync($"{Nobody} ssi run -n 3 -- id -u");
        var groups = await shell.RunAsync("setpriv --reuid 65534 --regid 65534 --groups 27,100 -- ssi run -n 3 -- id -G");
        var denied = await shell.RunAsync($"{Nobody} ssi kill -9 {cpid}");
        var deniedGroup = await shell.RunAsync($"{Nobody} ssi kill -9 -- -{cpid}");
        // Started from a directory closed to it (mktemp -d makes it 0700, root's), the program runs in / instead.
        var closed = await shell.RunAsync($"d=$(mktemp -d /tmp/ssi-closed-XXXXXX); cd $d && {Nobody} ssi run -n 3 -- pwd; rc=$?; cd /; rmdir $d; exit $rc");

        Assert.Equal("65534", identity.Out.Trim());
        Assert.Equal((0, "/"), (closed.Exit, closed.Out.Trim()));
        Assert.Contains("cannot enter /tmp/ssi-closed-", closed.Err);
        Assert.Equal("65534 27 100", groups.Out.Trim());
        Assert.NotEqual(0, denied.Exit);
        Assert.Contains("not permitted", denied.Err);
        Assert.NotEqual(0, deniedGroup.Exit);
        Assert.Contains((await shell.PsAsync()).Processes, r => r.Cpid == cpid);
        Assert.Equal(0, (await shell.RunAsync($"ssi kill -9 {cpid}")).Exit);
    }

    [Fact]
    public async Task Killing_a_node_ends_the_clients_of_its_processes_with_the_node_failure_status()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        using var client = shell.Start("exec ssi run -n 3 -- sleep 300");
        await shell.WaitForPsAsync(rows => rows.Any(r => r.Node == 3 && r.Command == "sleep 300"), "sleep 300 on node 3");
        var clock = Stopwatch.StartNew();

        await box.Cluster.KillDaemonAsync(3);
        await client.WaitForExitAsync().WaitAsync(VprocShell.Patience);

        output.WriteLine($"client ended {clock.ElapsedMilliseconds} ms after the kill: {await client.StandardError.ReadToEndAsync()}");
        Assert.Equal(ExitCodes.NodeFailure, client.ExitCode);
        Assert.DoesNotContain((await shell.PsAsync()).Processes, r => r.Node == 3);
    }

    [Fact]
    public async Task Processes_of_a_dead_origin_stay_listed_and_signalable()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        var cpid = await shell.DetachAsync("--node 2 -n 3", "sleep 300");
        Assert.Equal(2, new ClusterPid(cpid).Origin);

        await box.Cluster.KillDaemonAsync(2);
        await box.WaitForStateAsync(2, Protocol.NodeState.Down, [1, 3], Stopwatch.StartNew());

        Assert.Contains((await shell.PsAsync()).Processes, r => r.Cpid == cpid && r.Node == 3);
        Assert.Equal("3", (await shell.RunAsync($"ssi where {cpid}")).Out.Trim());
        Assert.Equal(0, (await shell.RunAsync($"ssi kill -9 {cpid}")).Exit);
        await shell.WaitForPsAsync(rows => rows.All(r => r.Cpid != cpid), $"{cpid} gone");
    }

    [Fact]
    public async Task A_detached_process_is_reattached_and_its_output_and_status_come_back()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        var cpid = await shell.DetachAsync("-n 3", "sh -c 'echo hello; sleep 1; echo bye; exit 4'");

        var (exit, stdout, stderr) = await shell.RunAsync($"ssi attach {cpid}");

        Assert.True(exit == 4, stderr);
        Assert.Equal("hello\nbye\n", stdout);
    }

    [Fact]
    public async Task An_interactive_shell_runs_on_another_node_in_a_pty_under_tmux()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        // A tmux server of its own, so the pane inherits this environment (ssi on PATH, SSI_BOX).
        var session = $"-L vproc-{box.Box.Name} -f /dev/null";
        var start = await shell.RunAsync($"tmux {session} new-session -d -x 100 -y 30 'ssi run -t -n 2 -- bash --norc --noprofile -i; echo ssi-exit=$?; sleep 30'");
        Assert.True(start.Exit == 0, start.Err);
        try
        {
            await Task.Delay(1500);
            await shell.RunAsync($"tmux {session} send-keys 'echo node=$SSI_NODE tty=$(tty) sum=$((6*7))' Enter");
            var screen = await WaitForScreenAsync(shell, session, "sum=42");
            Assert.Contains("node=2 tty=/dev/pts/", screen);

            await shell.RunAsync($"tmux {session} send-keys 'echo size=$(stty size)' Enter");
            await WaitForScreenAsync(shell, session, "size=30 100");
            await shell.RunAsync($"tmux {session} resize-window -x 120 -y 40");
            await Task.Delay(500);
            await shell.RunAsync($"tmux {session} send-keys 'echo resized=$(stty size)' Enter");
            await WaitForScreenAsync(shell, session, "resized=40 120");

            await shell.RunAsync($"tmux {session} send-keys 'sleep 100' Enter");
            await Task.Delay(500);
            await shell.RunAsync($"tmux {session} send-keys C-c");
            await shell.RunAsync($"tmux {session} send-keys 'echo after=$?' Enter");
            await WaitForScreenAsync(shell, session, "after=130");

            await shell.RunAsync($"tmux {session} send-keys 'exit 3' Enter");
            await WaitForScreenAsync(shell, session, "ssi-exit=3");
        }
        finally
        {
            await shell.RunAsync($"tmux {session} kill-server");
        }
    }

    [Fact]
    public async Task Any_runs_on_the_least_busy_node()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        await shell.DetachAsync("-n 1", "sleep 300");
        await shell.DetachAsync("-n 2", "sleep 300");

        var (exit, stdout, stderr) = await shell.RunAsync("ssi run --any -- sh -c 'echo $SSI_NODE'");

        Assert.True(exit == 0, stderr);
        Assert.Equal("3", stdout.Trim());
    }

    [Fact]
    public async Task A_program_gets_SIGHUP_when_its_ssi_run_goes_away()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        using var run = shell.Start("exec ssi run -n 2 -- sh -c 'trap \"exit 42\" HUP; while :; do sleep 0.05; done'");
        var listed = await shell.WaitForPsAsync(rows => rows.Any(r => r.Command.Contains("trap", StringComparison.Ordinal)), "the trapping shell");
        var cpid = listed.Processes.First(r => r.Command.Contains("trap", StringComparison.Ordinal)).Cpid;

        run.Kill();
        await shell.WaitForPsAsync(rows => rows.All(r => r.Cpid != cpid), "the program gone");

        var where = await shell.RunAsync($"ssi where --json {cpid}");
        Assert.Contains("\"code\":42", where.Out);
    }

    [Fact]
    public async Task Top_shows_the_clusters_processes_and_quits_on_q()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        var cpid = await shell.DetachAsync("-n 3", "sleep 300");
        var session = $"-L top-{box.Box.Name} -f /dev/null";
        await shell.RunAsync($"tmux {session} new-session -d -x 120 -y 30 'ssi top; echo top-exit=$?; sleep 30'");
        try
        {
            var screen = await WaitForScreenAsync(shell, session, cpid.ToString());
            Assert.Contains("sleep 300", screen);
            await shell.RunAsync($"tmux {session} send-keys q");
            await WaitForScreenAsync(shell, session, "top-exit=0");
        }
        finally
        {
            await shell.RunAsync($"tmux {session} kill-server");
        }
    }

    private async Task<string> WaitForScreenAsync(VprocShell shell, string session, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var screen = (await shell.RunAsync($"tmux {session} capture-pane -p")).Out;
            if (screen.Contains(text, StringComparison.Ordinal))
                return screen;
            if (DateTime.UtcNow > deadline)
            {
                output.WriteLine(screen);
                Assert.Fail($"the screen never showed '{text}'");
            }
            await Task.Delay(100);
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
