using System.Text;
using Ssi.Ics.Tests;
using Ssi.Vproc.Jobs;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Tests;

/// <summary>A job's output reaches its client whole, also when the program is quicker than the client.</summary>
public sealed class JobOutputTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly ShimLauncher _launcher = new(InitShim.Locate());
    private readonly CgroupTree _cgroups = CgroupTree.Open("unit-tests", $"job-output-{Guid.NewGuid():N}");

    public async ValueTask DisposeAsync()
    {
        _launcher.Dispose();
        await _cgroups.RemoveAsync();
    }

    [Fact]
    public async Task A_program_that_ends_before_its_client_attaches_keeps_all_its_output_for_it()
    {
        // 588,895 bytes: more than the ring a detached job keeps, less than the job's pipes hold,
        // so seq ends without anyone reading (as the first job on a busy node did, losing 512 KiB).
        var cpid = ClusterPid.Of(1, 1).Value;
        var exec = new ExecRequest(cpid, 1, cpid, ["seq", "1", "100000"], new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" },
            "/tmp", 0, 0, [], false, 0, 0, false);
        var job = await Job.StartAsync(exec, 1, _launcher, _cgroups, "/run/ssi/no-daemon.sock");
        await GoneAsync(job.ShimPid);
        // Time for output to be (wrongly) drained with nobody attached.
        await Task.WhenAny(job.Exited, Task.Delay(500));

        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapStream(VprocMethods.AttachJob, async (stream, _, ct) =>
        {
            await job.AttachAsync(stream, ct);
            await job.Exited;
        }));
        await using var client = await nodes.A.OpenStreamAsync(2, VprocMethods.AttachJob, default);
        await client.CompleteWritesAsync();
        var (output, exit) = await ReadAllAsync(client).WaitAsync(Patience);

        Assert.Equal(0, exit?.Code);
        Assert.Equal(588_895, output.Length);
        Assert.Equal(string.Concat(Enumerable.Range(1, 100000).Select(i => $"{i}\n")), output);
    }

    // The shim is reaped once the program ended.
    private static async Task GoneAsync(int pid)
    {
        for (var waited = TimeSpan.Zero; Directory.Exists($"/proc/{pid}"); waited += TimeSpan.FromMilliseconds(20))
        {
            if (waited > Patience)
                throw new TimeoutException($"the job's shim {pid} did not end");
            await Task.Delay(20);
        }
    }

    private static async Task<(string Output, ExitInfo? Exit)> ReadAllAsync(Stream stream)
    {
        using var reader = new OutputFrameReader(stream);
        var output = new StringBuilder();
        while (await reader.ReadAsync() is { } frame)
        {
            if (frame.Kind == OutputKind.Stdout)
                output.Append(Encoding.ASCII.GetString(frame.Payload.Span));
            else if (frame.Kind == OutputKind.Exit)
                return (output.ToString(), System.Text.Json.JsonSerializer.Deserialize(frame.Payload.Span, VprocJson.Default.ExitInfo));
        }
        return (output.ToString(), null);
    }
}
