using System.Text;
using Ssi.Cfs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ssi.Cfs.Tests;

/// <summary>
/// A remote node that alone holds a file answers its writes before they reach the server; the server revokes
/// that grant before another node gets to the file, so the other node still sees every write that returned.
/// </summary>
[Collection("cfs")]
public sealed class WriteBehindTests(CfsRigFixture fixture, ITestOutputHelper output) : IClassFixture<CfsRigFixture>
{
    private CfsRig Rig => fixture.Rig;

    // Made by the remote node, so that the server node does not hold the directory's files.
    private (string Server, string Remote) NewDirectory() => Rig.NewDirectory("write-behind", Rig.Remote);

    [Fact]
    public void Writes_of_a_file_kept_open_on_one_node_are_read_at_once_on_another()
    {
        var (server, remote) = NewDirectory();
        long revoked = Rig.Server.Revocations;
        using var writer = new FileStream($"{remote}/f", FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite, 1);
        var page = new byte[4096];
        for (int i = 0; i < 256; i++)
        {
            Array.Fill(page, (byte)i);
            RandomAccess.Write(writer.SafeFileHandle, page, (long)i * page.Length);
        }
        // Not closed, not synced: the server node's first look at the file waits for those writes.
        var read = File.ReadAllBytes($"{server}/f");
        Assert.Equal(256 * 4096, read.Length);
        for (int i = 0; i < 256; i++)
            Assert.True(read.AsSpan(i * 4096, 4096).IndexOfAnyExcept((byte)i) < 0, $"page {i} differs");
        Assert.Equal(revoked + 1, Rig.Server.Revocations);

        // From now on both nodes hold the file: the remote's writes are waited for again, and seen at once.
        RandomAccess.Write(writer.SafeFileHandle, "after"u8.ToArray(), 0);
        using var reader = new FileStream($"{server}/f", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[5];
        RandomAccess.Read(reader.SafeFileHandle, buffer, 0);
        Assert.Equal("after", Encoding.ASCII.GetString(buffer));
        output.WriteLine($"{Rig.Server.Revocations - revoked} revocation(s)");
    }

    [Fact]
    public void The_size_a_writer_grew_is_what_another_node_stats()
    {
        var (server, remote) = NewDirectory();
        using (var writer = new FileStream($"{remote}/grown", FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite, 1))
        {
            for (int i = 0; i < 100; i++)
                writer.Write(new byte[1000]);
            Assert.Equal(100_000, new FileInfo($"{server}/grown").Length);
        }
        Assert.Equal(100_000, new FileInfo($"{server}/grown").Length);
    }

    [Fact]
    public void Close_returns_with_every_write_at_the_server()
    {
        var (_, remote) = NewDirectory();
        string name = Path.GetFileName(remote);
        using (var writer = new FileStream($"{remote}/closed", FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
        {
            for (int i = 0; i < 64; i++)
                writer.Write(Encoding.ASCII.GetBytes($"line {i}\n"));
        }
        // The export itself, not a mount: nothing but the server's file system is asked.
        string expected = string.Concat(Enumerable.Range(0, 64).Select(i => $"line {i}\n"));
        Assert.Equal(expected, File.ReadAllText(Path.Combine(Rig.Export, name, "closed")));
    }

    [Fact]
    public async Task Writes_racing_a_reader_on_another_node_keep_their_order()
    {
        var (server, remote) = NewDirectory();
        using var writer = new FileStream($"{remote}/counter", FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite, 1);
        var done = new CancellationTokenSource();
        var reads = Task.Run(() =>
        {
            long last = -1;
            var buffer = new byte[8];
            while (!done.IsCancellationRequested)
            {
                if (!File.Exists($"{server}/counter"))
                    continue;
                using var reader = new FileStream($"{server}/counter", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                if (RandomAccess.Read(reader.SafeFileHandle, buffer, 0) < 8)
                    continue;
                long seen = BitConverter.ToInt64(buffer);
                Assert.True(seen >= last, $"read {seen} after {last}");
                last = seen;
            }
        });
        for (long i = 0; i < 3000; i++)
            RandomAccess.Write(writer.SafeFileHandle, BitConverter.GetBytes(i), 0);
        done.Cancel();
        await reads;
        var final = new byte[8];
        using var check = new FileStream($"{server}/counter", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        RandomAccess.Read(check.SafeFileHandle, final, 0);
        Assert.Equal(2999, BitConverter.ToInt64(final));
    }

    [Fact]
    public void Overwrites_sent_in_batches_in_flight_together_land_in_the_order_written()
    {
        var (server, remote) = NewDirectory();
        var block = new byte[1 << 20];
        using (var writer = new FileStream($"{remote}/overwritten", FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite, 1))
        {
            // Forty 1 MiB writes of the same range: about twenty batches, two in flight at a time.
            for (int i = 1; i <= 40; i++)
            {
                Array.Fill(block, (byte)i);
                RandomAccess.Write(writer.SafeFileHandle, block, 0);
            }
        }
        var data = File.ReadAllBytes($"{server}/overwritten");
        Assert.Equal(block.Length, data.Length);
        Assert.True(data.AsSpan().IndexOfAnyExcept((byte)40) < 0, "an earlier write landed after a later one");
    }
}
