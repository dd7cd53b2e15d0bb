using System.Diagnostics;
using Ssi.Cfs.Tests.Infrastructure;
using Ssi.Cfs.Tests.Posix;
using Xunit.Abstractions;

namespace Ssi.Cfs.Tests;

/// <summary>When the server is lost, operations fail fast with ENOTCONN; when it answers again, the node mounts afresh.</summary>
[Collection("cfs")]
public sealed class FailureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Operations_fail_with_ENOTCONN_while_the_server_is_lost_and_work_again_after_reattach()
    {
        await using var rig = await CfsRig.StartAsync(logs: new TestOutputLogs(output));
        File.WriteAllText(Path.Combine(rig.LocalPath, "f"), "data");
        string remote = Path.Combine(rig.RemotePath, "f");
        Assert.Equal("data", File.ReadAllText(remote));

        rig.Remote.ServerDown();
        var clock = Stopwatch.StartNew();
        int fd = Sys.Open(remote, Sys.O_RDONLY, 0);
        Assert.Equal(-1, fd);
        Assert.Equal(107, Sys.Errno);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.ElapsedMilliseconds} ms");
        output.WriteLine($"failed with ENOTCONN in {clock.Elapsed.TotalMilliseconds:0.0} ms");

        rig.Remote.ServerUp();
        clock.Restart();
        while (rig.Remote.Mounts < 2 || rig.Remote.State != "attached")
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"did not reattach: {rig.Remote.LastError}");
            await Task.Delay(20);
        }
        output.WriteLine($"reattached in {clock.ElapsedMilliseconds} ms");
        Assert.Equal("data", File.ReadAllText(remote));
    }
}
