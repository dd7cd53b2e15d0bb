using System.Diagnostics;
using Ssi.Cfs.Tests.Posix;
using Xunit.Abstractions;

namespace Ssi.Cfs.Tests;

/// <summary>Round-trip cost of small operations through the server node's mount and a remote node's mount (a report, not a pass/fail check).</summary>
[Collection("cfs")]
public sealed class LatencyReport(CfsRigFixture fixture, ITestOutputHelper output) : IClassFixture<CfsRigFixture>
{
    [Fact]
    public void Small_writes_and_locks_cost_one_round_trip_each()
    {
        foreach (var (label, root) in new[] { ("local dir", fixture.Rig.Root), ("server node", fixture.Rig.LocalPath), ("remote node", fixture.Rig.RemotePath) })
        {
            string file = Path.Combine(root, "latency-" + Guid.NewGuid().ToString("N")[..6]);
            int fd = Sys.Open(file, Sys.O_CREAT | Sys.O_RDWR, 0x1A4);
            var block = new byte[4096];
            const int Count = 2000;
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < Count; i++)
                Sys.PwriteAll(fd, block, (i % 64) * 4096L);
            double write = clock.Elapsed.TotalMicroseconds / Count;
            clock.Restart();
            for (int i = 0; i < Count; i++)
            {
                Sys.Lock(fd, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 1);
                Sys.Lock(fd, Sys.F_OFD_SETLK, Sys.F_UNLCK, 0, 1);
            }
            double lockPair = clock.Elapsed.TotalMicroseconds / Count;
            Sys.Close(fd);
            File.Delete(file);
            output.WriteLine($"{label,-12} 4 KiB pwrite {write,7:0.0} µs   lock+unlock {lockPair,7:0.0} µs");
        }
    }
}
