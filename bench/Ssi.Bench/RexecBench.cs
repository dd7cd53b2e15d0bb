using System.Globalization;
using Ssi.Box;
using Ssi.Client;
using Ssi.Protocol;

namespace Ssi.Bench;

/// <summary>
/// Remote execution side by side, all started from a shell inside node 1 of a box: a local
/// <c>true</c>, <c>ssi run -n 2 -- true</c>, and OpenSSH (key auth, sshd inside node 2) running
/// <c>true</c>; then stdio throughput through <c>ssi run -n 2 -- cat</c> against a local pipe,
/// and <c>ssi ps</c> latency on 3 and 8 nodes. Each command is a fresh process, timed by bash's
/// $EPOCHREALTIME (no fork for the clock).
/// </summary>
internal static class RexecBench
{
    private const int Runs = 200;
    // The daemons are long-running services: measured warm. From a fresh box, ssi run -n 2's p50
    // settled only after 300-500 runs here (ReadyToRun code tiering up), so 50 measured part of that.
    private const int WarmUps = 500;
    private const int SshRuns = 20;
    private const int PsRuns = 50;
    private const long Bytes = 1L << 30;
    private const int ThroughputRuns = 3;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public static async Task RunAsync(Report report)
    {
        var ssid = Environment.GetEnvironmentVariable("SSI_SSID") ?? Path.Combine(AppContext.BaseDirectory, "ssid");
        Environment.SetEnvironmentVariable("SSI_SSID", ssid);
        var ssi = Path.Combine(Path.GetDirectoryName(ssid)!, "ssi");
        if (!File.Exists(ssi))
            throw new SsiException(Status.NotFound, $"no ssi CLI next to {ssid}: run through ./ssi bench rexec, which publishes it");

        report.Columns("measure", "p50", "p99", "samples", "vs reference", "target");
        var loadBefore = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        Samples local, cliStart, here, rexec, ssh, ps3;
        double pipeMiB, ssiMiB, ssiOutMiB;
        await using (var cluster = await BoxCluster.UpAsync(ClusterBox.NewUniqueName("b"), 3, Patience))
        {
            var node1 = cluster.Box.Node(1);
            var env = $"export SSI_SOCKET={node1.SocketPath}; ";
            // Warm-up: dial ICS, load caches, and let the daemons' tiered JIT settle on the run path.
            await TimeAsync(node1, env, $"{ssi} run -n 1 -- true; {ssi} run -n 2 -- true", WarmUps);
            // Interleaved: the machine's drift (other VMs on the host) weighs on every row alike.
            var rows = await TimeInterleavedAsync(node1, env, Runs,
                "/bin/true", $"{ssi} --version >/dev/null", $"{ssi} run -n 1 -- true", $"{ssi} run -n 2 -- true");
            (local, cliStart, here, rexec) = (rows[0], rows[1], rows[2], rows[3]);
            ssh = await SshAsync(cluster, env);

            pipeMiB = await ThroughputAsync(node1, env, bytes => $"head -c {bytes} /dev/zero | cat > /dev/null");
            ssiMiB = await ThroughputAsync(node1, env, bytes => $"head -c {bytes} /dev/zero | {ssi} run -n 2 -- cat > /dev/null");
            ssiOutMiB = await ThroughputAsync(node1, env, bytes => $"{ssi} run -n 2 -- head -c {bytes} /dev/zero > /dev/null");

            for (var k = 1; k <= 3; k++)
                await ShellAsync(node1, env + $"{ssi} run -n {k} --detach -- sleep 600 >/dev/null; {ssi} run -n {k} --detach -- sh -c 'sleep 601 & sleep 602' >/dev/null");
            ps3 = await TimeAsync(node1, env, $"{ssi} ps >/dev/null", PsRuns);
        }
        Samples ps8;
        await using (var cluster = await BoxCluster.UpAsync(ClusterBox.NewUniqueName("b"), 8, Patience + TimeSpan.FromSeconds(30)))
        {
            var node1 = cluster.Box.Node(1);
            var env = $"export SSI_SOCKET={node1.SocketPath}; ";
            for (var k = 1; k <= 8; k++)
                await ShellAsync(node1, env + $"{ssi} run -n {k} --detach -- sleep 600 >/dev/null");
            ps8 = await TimeAsync(node1, env, $"{ssi} ps >/dev/null", PsRuns);
        }

        report.Row("local `/bin/true` (fork+exec from bash)", Report.Us(local.P50), Report.Us(local.P99), local.Count.ToString(CultureInfo.InvariantCulture), "", "");
        report.Row("`ssi --version` (the CLI's start and exit alone)", Report.Us(cliStart.P50), Report.Us(cliStart.P99), cliStart.Count.ToString(CultureInfo.InvariantCulture),
            $"{cliStart.P50 / local.P50:0.0}x local", "");
        report.Row("`ssi run -n 1 -- true` (node 1 → node 1, no ICS hop)", Report.Us(here.P50), Report.Us(here.P99), here.Count.ToString(CultureInfo.InvariantCulture),
            $"{here.P50 / local.P50:0.0}x local", "");
        report.Row("`ssi run -n 2 -- true` (node 1 → node 2)", Report.Us(rexec.P50), Report.Us(rexec.P99), rexec.Count.ToString(CultureInfo.InvariantCulture),
            $"{rexec.P50 / local.P50:0.0}x local", "p50 < 5 ms");
        report.Row("`ssh node2 true` (OpenSSH, key auth)", ssh.Count == 0 ? "n/a" : Report.Us(ssh.P50), ssh.Count == 0 ? "n/a" : Report.Us(ssh.P99), ssh.Count.ToString(CultureInfo.InvariantCulture),
            ssh.Count == 0 ? "sshd did not start" : $"ssi {ssh.P50 / rexec.P50:0}x faster", "ssi ≥ 50x faster");
        report.Row("1 GiB local pipe (`head -c` piped to `cat`)", $"{pipeMiB:0} MiB/s", "", $"{ThroughputRuns}", "", "");
        report.Row("1 GiB stdin+stdout through `ssi run -n 2 -- cat`", $"{ssiMiB:0} MiB/s = {ssiMiB * 1.048576:0} MB/s", "", $"{ThroughputRuns}", $"{ssiMiB / pipeMiB:0.00}x local pipe", "≥ 500 MB/s");
        report.Row("1 GiB stdout of `ssi run -n 2 -- head -c`", $"{ssiOutMiB:0} MiB/s = {ssiOutMiB * 1.048576:0} MB/s", "", $"{ThroughputRuns}", $"{ssiOutMiB / pipeMiB:0.00}x local pipe", "≥ 500 MB/s");
        report.Row("`ssi ps`, 3 nodes, 9 cluster processes", Report.Us(ps3.P50), Report.Us(ps3.P99), ps3.Count.ToString(CultureInfo.InvariantCulture), "", "");
        report.Row("`ssi ps`, 8 nodes, 8 cluster processes", Report.Us(ps8.P50), Report.Us(ps8.P99), ps8.Count.ToString(CultureInfo.InvariantCulture), $"{ps8.P50 / ps3.P50:0.00}x 3 nodes", "");
        report.Note($"Every figure is a fresh process started by bash inside node 1's namespaces, timed with $EPOCHREALTIME, the first four rows interleaved (one of each per round); ssi is the NativeAOT CLI; {WarmUps} runs on each node before the timed ones (a fresh box's daemons settle after 300-500).");
        report.Note("ssi run's path: CLI → node 1's ssid (origin: cluster PID, record) → ICS → node 2's ssid → the ssi-init it started ahead of need (PID 1 of a fresh PID namespace, waiting on a socket) → clone3 into the job cgroup → the program; output back the same way.");
        report.Note($"Throughput: node 1's ssid reads and writes ssi run's own pipes (it takes them over for a job on another node), so the bytes cross one ICS hop (origin → target) each way; each figure is the median of {ThroughputRuns} passes after a warm-up pass of 128 MiB.");
        report.Note($"Machine load average (1 min) {loadBefore} before, {File.ReadAllText("/proc/loadavg").Split(' ')[0]} after, on {Environment.ProcessorCount} cores shared with other work: latencies are inflated accordingly.");
    }

    private static async Task<Samples> TimeAsync(BoxNode node, string env, string command, int runs) =>
        (await TimeInterleavedAsync(node, env, runs, command))[0];

    // Each round runs every command once, in turn; one Samples per command.
    private static async Task<Samples[]> TimeInterleavedAsync(BoxNode node, string env, int runs, params string[] commands)
    {
        var round = string.Concat(commands.Select((command, k) => $"s=$EPOCHREALTIME; {command}; e=$EPOCHREALTIME; echo \"{k} $s $e\"; "));
        var output = await ShellAsync(node, env + $"for i in $(seq {runs}); do {round}done");
        var samples = commands.Select(_ => new Samples()).ToArray();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 3 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var k) && k >= 0 && k < samples.Length
                && double.TryParse(parts[1], CultureInfo.InvariantCulture, out var s) && double.TryParse(parts[2], CultureInfo.InvariantCulture, out var e))
                samples[k].AddMicroseconds((e - s) * 1e6);
        }
        return samples;
    }

    // Steady state: one pass of an eighth of the bytes first (the daemons' JIT tiers up the
    // data path on it), then the median of ThroughputRuns timed passes.
    private static async Task<double> ThroughputAsync(BoxNode node, string env, Func<long, string> command)
    {
        await ShellAsync(node, env + command(Bytes / 8));
        var rates = new List<double>();
        for (var i = 0; i < ThroughputRuns; i++)
        {
            var output = await ShellAsync(node, env + $"s=$EPOCHREALTIME; {command(Bytes)}; e=$EPOCHREALTIME; echo \"$s $e\"");
            var parts = output.Trim().Split('\n')[^1].Split(' ');
            var seconds = double.Parse(parts[1], CultureInfo.InvariantCulture) - double.Parse(parts[0], CultureInfo.InvariantCulture);
            rates.Add(Bytes / (1024.0 * 1024.0) / seconds);
        }
        rates.Sort();
        return rates[rates.Count / 2];
    }

    private static async Task<string> ShellAsync(BoxNode node, string script)
    {
        var result = await node.RunAsync("bash", ["-c", script]);
        if (result.ExitCode != 0)
            throw new SsiException(Status.Internal, $"bench command failed on {node.Name} ({result.ExitCode}): {result.StandardError.Trim()}");
        return result.StandardOutput;
    }

    // sshd inside node 2 with a throw-away host key and client key; ssh runs from node 1.
    private static async Task<Samples> SshAsync(BoxCluster cluster, string env)
    {
        if (!File.Exists("/usr/sbin/sshd") || !File.Exists("/usr/bin/ssh"))
            return new Samples();
        var dir = Directory.CreateTempSubdirectory("ssi-bench-ssh").FullName;
        var target = cluster.Box.Node(2);
        try
        {
            Directory.CreateDirectory("/run/sshd");
            await ShellAsync(cluster.Box.Node(1), $"ssh-keygen -q -t ed25519 -N '' -f {dir}/key && ssh-keygen -q -t ed25519 -N '' -f {dir}/host && cp {dir}/key.pub {dir}/authorized_keys");
            await File.WriteAllTextAsync(Path.Combine(dir, "sshd_config"), $"""
                Port 2222
                ListenAddress {target.Address}
                HostKey {dir}/host
                AuthorizedKeysFile {dir}/authorized_keys
                PermitRootLogin yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                StrictModes no
                PidFile none
                """);
            target.Start(new NodeCommand("bench-sshd", "/usr/sbin/sshd", ["-D", "-e", "-f", Path.Combine(dir, "sshd_config")]));
            var ssh = $"ssh -i {dir}/key -p 2222 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR root@{target.Address}";
            for (var attempt = 0; attempt < 50; attempt++)
            {
                if ((await cluster.Box.Node(1).RunAsync("bash", ["-c", ssh + " true"])).ExitCode == 0)
                    return await TimeAsync(cluster.Box.Node(1), env, ssh + " true", SshRuns);
                await Task.Delay(100);
            }
            return new Samples();
        }
        finally
        {
            await target.KillAsync("bench-sshd", 15);
            Directory.Delete(dir, recursive: true);
        }
    }
}
