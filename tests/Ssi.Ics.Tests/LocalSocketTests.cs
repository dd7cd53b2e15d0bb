using System.Text;
using Ssi.Protocol;

namespace Ssi.Ics.Tests;

public partial class LocalSocketTests
{
    [System.Runtime.InteropServices.LibraryImport("libc")]
    private static partial uint getuid();

    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task The_kernel_tells_the_daemon_who_is_calling()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ssi-{Guid.NewGuid():N}.sock");
        var router = new Router().MapRequest(Methods.DaemonStatus, (r, _) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes($"{r.Peer.Uid}:{r.Peer.Pid}:{r.Peer.IsLocal}")));
        await using var server = new LocalServer(path, router);
        server.Start();

        await using var client = await LocalClient.ConnectAsync(path);
        var answer = Encoding.UTF8.GetString(await client.RequestAsync(Methods.DaemonStatus, default, Generous));

        Assert.Equal($"{getuid()}:{Environment.ProcessId}:True", answer);
    }

    [Fact]
    public async Task No_daemon_gives_an_error_that_says_what_to_do()
    {
        var error = await Assert.ThrowsAsync<SsiException>(() => LocalClient.ConnectAsync($"/tmp/ssi-none-{Guid.NewGuid():N}.sock"));

        Assert.Equal(Status.Unavailable, error.Status);
        Assert.Contains("ssi up", error.Message);
    }

    [Fact]
    public async Task A_second_daemon_on_the_same_socket_is_refused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ssi-{Guid.NewGuid():N}.sock");
        await using var first = new LocalServer(path, new Router());
        first.Start();
        await using var second = new LocalServer(path, new Router());

        Assert.Equal(Status.AlreadyExists, Assert.Throws<SsiException>(second.Start).Status);
    }
}
