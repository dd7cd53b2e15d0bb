using Ssi.Box.Tests.Infrastructure;

namespace Ssi.Box.Tests;

[Trait("Category", "Cluster")]
public class NodeProcessTests
{
    [Fact]
    public async Task A_process_runs_inside_its_node_namespaces_until_killed()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 3);
        var node = box.Node(2);

        var sleeper = node.Start(new NodeCommand("sleeper", "sleep", ["1000"]));

        Assert.Equal($"{sleeper.Pid}\n", await File.ReadAllTextAsync(sleeper.PidFile));
        // Start returns once the process is inside, so a concurrent stale-box cleanup sees it.
        Assert.Equal(NamespaceOf(node.NetworkNamespacePath), NamespaceOf(sleeper.Pid, "net"));
        Assert.Equal(NamespaceOf(node.MountNamespacePath), NamespaceOf(sleeper.Pid, "mnt"));
        Assert.Equal(sleeper.Pid, node.FindProcess("sleeper")?.Pid);

        Assert.True(await node.KillAsync("sleeper"));

        Assert.False(Leftovers.IsAlive(sleeper.Pid));
        Assert.Null(node.FindProcess("sleeper"));
        Assert.False(File.Exists(sleeper.PidFile));
        Assert.False(await node.KillAsync("sleeper"));
    }

    [Fact]
    public async Task Output_environment_and_working_directory_are_those_given()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 1);
        var node = box.Node(1);

        var process = node.Start(new NodeCommand("talker", "sh", ["-c", "echo out $GREETING; echo err >&2; pwd > cwd"])
        {
            Environment = new Dictionary<string, string> { ["GREETING"] = "hello" },
        });
        Assert.True(await Eventually.HoldsAsync(() => node.FindProcess("talker") is null, TimeSpan.FromSeconds(10)));

        string log = await File.ReadAllTextAsync(process.LogFile);
        Assert.Equal(Path.Combine(node.StateDirectory, "talker.log"), process.LogFile);
        Assert.Contains("out hello", log, StringComparison.Ordinal);
        Assert.Contains("err", log, StringComparison.Ordinal);
        // The state directory is the same path on the host and on the node.
        Assert.Equal(node.StateDirectory + "\n", await File.ReadAllTextAsync(Path.Combine(node.StateDirectory, "cwd")));
    }

    [Fact]
    public async Task A_process_runs_in_a_session_of_its_own()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 1);

        var sleeper = box.Node(1).Start(new NodeCommand("sleeper", "sleep", ["1000"]));

        // Field 6 of /proc/pid/stat is the session id.
        Assert.True(await Eventually.HoldsAsync(() => SessionOf(sleeper.Pid) == sleeper.Pid, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_name_runs_once_per_node()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 2);
        box.Node(1).Start(new NodeCommand("ssid", "sleep", ["1000"]));

        Assert.Throws<BoxException>(() => box.Node(1).Start(new NodeCommand("ssid", "sleep", ["1000"])));
        box.Node(2).Start(new NodeCommand("ssid", "sleep", ["1000"]));
    }

    [Fact]
    public async Task Mounts_made_in_a_node_stay_in_that_node()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 2);
        string target = Path.Combine(box.Node(1).StateDirectory, "private");
        Directory.CreateDirectory(target);

        var mount = await box.Node(1).RunAsync("mount", "-t", "tmpfs", "nodetmp", target);
        var inNode1 = await box.Node(1).RunAsync("findmnt", "-n", target);
        var inNode2 = await box.Node(2).RunAsync("findmnt", "-n", target);

        Assert.True(mount.Succeeded, mount.StandardError);
        Assert.True(inNode1.Succeeded);
        Assert.False(inNode2.Succeeded);
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(target, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_node_mount_namespace_pins_no_other_namespace()
    {
        await using var other = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 1);
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 2);

        var mounts = await box.Node(2).RunAsync("cat", "/proc/self/mountinfo");

        Assert.DoesNotContain(" nsfs ", mounts.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain($"{other.StateDirectory}/ns", mounts.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_run_in_a_node_reports_output_and_exit_status()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 1);

        var result = await box.Node(1).RunAsync("sh", "-c", "echo to-out; echo to-err >&2; exit 3");

        Assert.Equal(new CommandResult(3, "to-out\n", "to-err\n"), result);
    }

    private static ulong NamespaceOf(int pid, string kind)
    {
        string? link = new FileInfo($"/proc/{pid}/ns/{kind}").LinkTarget;
        return link is null ? 0 : ulong.Parse(link[(link.IndexOf('[') + 1)..^1]);
    }

    private static ulong NamespaceOf(string nsFile) => new FileInfo(nsFile).Exists ? InodeOf(nsFile) : 0;

    private static ulong InodeOf(string path)
    {
        // stat -c %i, to check the library's own namespace identity independently.
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return ulong.Parse(text.Trim());
    }

    private static int SessionOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3]);
    }
}
