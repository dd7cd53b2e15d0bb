using Ssi.Cfs.Tests.Infrastructure;
using Ssi.Cfs.Tests.Posix;
using Xunit.Abstractions;

namespace Ssi.Cfs.Tests;

/// <summary>
/// The kernel does not wait for a file's release: a node sends those of files that never had a lock in
/// one-way batches, after its write-behind writes: a create and close costs two round trips, not three.
/// </summary>
[Collection("cfs")]
public sealed class ReleaseTests(CfsRigFixture fixture, ITestOutputHelper output) : IClassFixture<CfsRigFixture>
{
    private CfsRig Rig => fixture.Rig;

    private CfsClientStatus RemoteAtServer() => Rig.Server.GetStatus().Clients.Single(c => c.Node == Rig.Remote.LocalNode);

    [Fact]
    public async Task Closes_of_files_without_locks_reach_the_server_without_a_round_trip_each()
    {
        var (_, remote) = Rig.NewDirectory("release", Rig.Remote);
        const int Files = 50;
        long before = Rig.Remote.Client!.Requests;
        // Plain system calls: a .NET FileStream would take flock locks (FileShare), whose release is a request.
        for (int i = 0; i < Files; i++)
        {
            int fd = Sys.Open($"{remote}/{i}", Sys.O_CREAT | Sys.O_EXCL | Sys.O_WRONLY, 0x1A4);
            Assert.True(fd >= 0, $"create: errno {Sys.Errno}");
            Assert.Equal(0, Sys.Close(fd));
        }
        long requests = Rig.Remote.Client.Requests - before;
        output.WriteLine($"{requests} requests for {Files} creates and closes");
        // A lookup and a create per file: the kernel's next question about the directory is answered from the
        // create's reply (ChangedDirectories), the releases go in batches.
        Assert.True(requests <= 2 * Files + 2, $"{requests} requests");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (RemoteAtServer().OpenFiles > 0 && clock.Elapsed < TimeSpan.FromSeconds(5))
            await Task.Delay(10);
        Assert.Equal(0, RemoteAtServer().OpenFiles);
        for (int i = 0; i < Files; i++)
            Assert.True(File.Exists($"{remote}/{i}"));
    }

    [Fact]
    public void A_file_closed_while_its_writes_are_in_flight_keeps_every_write()
    {
        var (server, remote) = Rig.NewDirectory("release", Rig.Remote);
        var block = new byte[256 * 1024];
        for (int i = 0; i < 8; i++)
        {
            Array.Fill(block, (byte)(i + 1));
            using var file = new FileStream($"{remote}/{i}", FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            for (int j = 0; j < 4; j++)
                file.Write(block);
        }
        for (int i = 0; i < 8; i++)
        {
            var data = File.ReadAllBytes($"{server}/{i}");
            Assert.Equal(block.Length * 4, data.Length);
            Assert.True(data.AsSpan().IndexOfAnyExcept((byte)(i + 1)) < 0, $"file {i} differs");
        }
    }

    [Fact]
    public void A_file_that_had_a_lock_is_released_at_once()
    {
        var (server, remote) = Rig.NewDirectory("release", Rig.Remote);
        File.WriteAllBytes($"{remote}/locked", [0]);
        int a = Sys.Open($"{remote}/locked", Sys.O_RDWR, 0);
        Assert.Equal(0, Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 0));
        Sys.Close(a);
        // Its release is a request, as before: the lock goes with it.
        int b = Sys.Open($"{server}/locked", Sys.O_RDWR, 0);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Sys.Lock(b, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 0) != 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), "the lock was not released");
            Thread.SpinWait(1000);
        }
        output.WriteLine($"lock free after {clock.Elapsed.TotalMilliseconds:0.0} ms");
        Sys.Close(b);
    }
}
