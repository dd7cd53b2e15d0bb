using Ssi.Cfs.Tests.Infrastructure;
using Ssi.Cfs.Tests.Posix;
using Xunit.Abstractions;

namespace Ssi.Cfs.Tests;

/// <summary>
/// A change in a directory (create, unlink, mkdir, ...) answers with the directory's attributes after it, so the
/// changing node's next path lookup through that directory needs no round trip; a change by another node
/// still reaches it.
/// </summary>
[Collection("cfs")]
public sealed class ChangedDirectoriesTests(CfsRigFixture fixture, ITestOutputHelper output) : IClassFixture<CfsRigFixture>
{
    private CfsRig Rig => fixture.Rig;

    [Fact]
    public void Unlinks_in_a_loop_cost_one_request_each()
    {
        var (_, remote) = Rig.NewDirectory("changed", Rig.Remote);
        const int Files = 40;
        for (int i = 0; i < Files; i++)
            Assert.Equal(0, Sys.Close(Sys.Open($"{remote}/{i}", Sys.O_CREAT | Sys.O_EXCL | Sys.O_WRONLY, 0x1A4)));
        long before = Rig.Remote.Client!.Requests;
        for (int i = 0; i < Files; i++)
            Assert.Equal(0, Sys.Unlink($"{remote}/{i}"));
        long requests = Rig.Remote.Client.Requests - before;
        output.WriteLine($"{requests} requests for {Files} unlinks");
        Assert.True(requests <= Files + 2, $"{requests} requests");
    }

    [Fact]
    public unsafe void A_change_by_another_node_after_this_nodes_own_is_what_this_node_sees()
    {
        var (server, remote) = Rig.NewDirectory("changed", Rig.Remote);
        for (int round = 0; round < 20; round++)
        {
            Assert.Equal(0, Sys.Mkdir($"{remote}/mine{round}", 0x1ED));
            Assert.Equal(0, Sys.Mkdir($"{server}/theirs{round}", 0x1ED));
            Sys.Stat seen;
            Assert.Equal(0, Sys.StatPath(remote, &seen));
            // Two subdirectories more per round, whichever node made them.
            Assert.Equal(2UL + 2UL * (ulong)(round + 1), seen.Nlink);
        }
    }
}
