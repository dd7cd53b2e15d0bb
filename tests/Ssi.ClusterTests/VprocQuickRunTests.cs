namespace Ssi.ClusterTests;

/// <summary>
/// <c>ssi run -n K -- CMD</c> with a plain daemon socket (SSI_SOCKET, or /run/ssi/ssid.sock on a
/// host) skips the command tree; the other tests reach the daemon through the box lookup and the
/// full parser. Both must behave the same.
/// </summary>
public partial class VprocTests
{
    [Fact]
    public async Task The_quick_path_of_ssi_run_behaves_as_the_full_parser_does()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;
        var quick = $"SSI_SOCKET={box.Box.Node(1).SocketPath} ssi";
        string[] scripts =
        [
            "{0} run -n 2 -- sh -c 'echo out; echo err >&2; exit 7'",
            "{0} run -n 2 -- seq 1 100000 | {0} run -n 3 -- wc -l",
            "printf 'a\\nb\\n' | {0} run -n 3 -- tr a-z A-Z",
            "{0} run -n 2 -- sh -c 'kill -TERM $$'",
            "{0} run -n 2 -- no-such-command-here",
            "{0} run -n 3 -- sh -c 'cat >/dev/null; echo done' < /dev/null",
            // A reader that goes away ends ssi run as SIGPIPE ends a local program: 141, quietly.
            "set -o pipefail; {0} run -n 2 -- seq 1 10000000 | head -1",
        ];
        foreach (var script in scripts)
        {
            var viaQuick = await shell.RunAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, script, quick));
            var viaFull = await shell.RunAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, script, "ssi"));
            output.WriteLine($"{script}: quick {viaQuick.Exit}, full {viaFull.Exit}");
            Assert.Equal(viaFull, viaQuick);
        }
        Assert.Equal((141, "1\n", ""), await shell.RunAsync($"set -o pipefail; {quick} run -n 2 -- seq 1 10000000 | head -1"));

        var cpid = int.Parse((await shell.RunAsync($"{quick} run -n 3 --detach -- sleep 100")).Out.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await shell.WaitForPsAsync(rows => rows.Any(r => r.Cpid == cpid), $"detached cluster process {cpid}");
        using var attached = shell.Start($"export SSI_SOCKET={box.Box.Node(1).SocketPath}; exec ssi run -n 2 -- sh -c 'trap \"echo got TERM; exit 9\" TERM; while :; do sleep 0.05; done'");
        await shell.WaitForPsAsync(rows => rows.Any(r => r.Command.Contains("trap", StringComparison.Ordinal)), "the trapping shell");
        Assert.Equal(0, Kill(attached.Id, 15));
        await attached.WaitForExitAsync().WaitAsync(VprocShell.Patience);
        Assert.Equal(("got TERM", 9), ((await attached.StandardOutput.ReadToEndAsync()).Trim(), attached.ExitCode));
        Assert.Equal(0, (await shell.RunAsync($"ssi kill -9 {cpid}")).Exit);
    }
}
