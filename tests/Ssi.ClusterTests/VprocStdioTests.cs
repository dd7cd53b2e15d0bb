namespace Ssi.ClusterTests;

/// <summary>
/// For a job on another node the origin daemon takes over ssi run's pipes (and /dev/null) and
/// reads and writes them itself; terminals and files stay with ssi run. Either way a shell
/// must see what a local program would give it.
/// </summary>
public partial class VprocTests
{
    [Fact]
    public async Task Stdio_taken_over_by_the_daemon_behaves_as_a_local_programs()
    {
        var shell = await UpAsync();
        await using var box = shell.Box;

        // The reader goes away: ssi run ends as SIGPIPE would end it, and the program is hung up.
        var gone = await shell.RunAsync("ssi run -n 2 -- sh -c 'trap \"\" PIPE; while :; do echo y; done' | head -1; echo \"status=${PIPESTATUS[0]}\"");
        Assert.Equal("y\nstatus=141\n", gone.Out);
        await shell.WaitForPsAsync(rows => rows.All(r => !r.Command.Contains("while", StringComparison.Ordinal)), "the hung-up program gone");

        // A program that ends early does not wait for the end of a stdin that never comes.
        var early = await shell.RunAsync("exec 3< <(sleep 600); writer=$!; ssi run -n 2 -- sh -c 'exit 4' <&3; rc=$?; kill $writer; echo rc=$rc");
        Assert.Equal("rc=4\n", early.Out);

        // Its pipeline partners see the end of the pipes with ssi run's exit, not later.
        var partners = await shell.RunAsync("yes | { ssi run -n 3 -- head -2; echo after; } | cat; echo \"${PIPESTATUS[*]}\"");
        Assert.Equal("y\ny\nafter\n141 0 0\n", partners.Out);

        // Files stay with ssi run: output goes on where the shell left the file; stderr joins a pipe.
        var mixed = await shell.RunAsync("f=$(mktemp); { echo a; ssi run -n 2 -- echo b; echo c; } > $f; cat $f; rm $f; " +
            "ssi run -n 3 -- sh -c 'echo out; echo err >&2' 2>&1 >/dev/null | cat");
        Assert.Equal("a\nb\nc\nerr\n", mixed.Out);
    }
}
