using System.Diagnostics;
using System.Text;
using Ssi.Cfs.Tests.Infrastructure;
using Ssi.Cfs.Tests.Posix;
using Xunit.Abstractions;

namespace Ssi.Cfs.Tests;

/// <summary>
/// What one node changes, the other sees at its next operation, although both kernels cache
/// attributes, names and data (see docs/cfs-consistency.md).
/// </summary>
[Collection("cfs")]
public sealed class CoherenceTests(CfsRigFixture fixture, ITestOutputHelper output) : IClassFixture<CfsRigFixture>
{
    private CfsRig Rig => fixture.Rig;

    private (string Server, string Remote) NewDirectory() => Rig.NewDirectory("coherence", Rig.Local);

    [Fact]
    public void Data_written_on_one_node_is_read_on_the_other_at_the_next_read()
    {
        var (server, remote) = NewDirectory();
        File.WriteAllText($"{server}/f", "version 1");
        Assert.Equal("version 1", File.ReadAllText($"{remote}/f"));
        using var reader = new FileStream($"{remote}/f", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        for (int i = 2; i <= 50; i++)
        {
            using (var writer = new FileStream($"{server}/f", FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            {
                writer.Write(Encoding.ASCII.GetBytes($"version {i}"));
            }
            // The remote file stays open: its page cache is dropped by the server's invalidation, not by an open.
            var buffer = new byte[64];
            int n = RandomAccess.Read(reader.SafeFileHandle, buffer, 0);
            Assert.Equal($"version {i}", Encoding.ASCII.GetString(buffer, 0, n));
        }
    }

    [Fact]
    public void Metadata_changes_are_seen_immediately_by_the_other_node()
    {
        var (server, remote) = NewDirectory();
        File.WriteAllText($"{server}/f", "x");
        Assert.True(File.Exists($"{remote}/f"));
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 20; i++)
        {
            var mode = i % 2 == 0 ? UnixFileMode.UserRead : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead;
            File.SetUnixFileMode($"{remote}/f", mode);
            Assert.Equal(mode, File.GetUnixFileMode($"{server}/f"));
            File.WriteAllText($"{server}/f", new string('y', i + 1));
            Assert.Equal(i + 1, new FileInfo($"{remote}/f").Length);
        }
        File.Move($"{server}/f", $"{server}/g");
        Assert.False(File.Exists($"{remote}/f"));
        Assert.True(File.Exists($"{remote}/g"));
        File.Delete($"{remote}/g");
        Assert.False(File.Exists($"{server}/g"));
        Directory.CreateDirectory($"{server}/sub");
        Assert.True(Directory.Exists($"{remote}/sub"));
        Assert.Equal(["sub"], Directory.GetFileSystemEntries(remote).Select(Path.GetFileName));
        output.WriteLine($"{clock.ElapsedMilliseconds} ms; {Rig.Server.InvalidationsSent} invalidations sent, {Rig.Server.InvalidationsLate} late");
    }

    [Fact]
    public void The_root_lists_each_nodes_own_link_once_and_it_leads_to_its_nodes_directory()
    {
        foreach (var (path, node) in new[] { (Rig.LocalPath, 1), (Rig.RemotePath, 2) })
        {
            var names = Directory.GetFileSystemEntries(path).Select(Path.GetFileName).ToList();
            Assert.Single(names, n => n == "node");
            Assert.Contains("nodes", names);
            Assert.Equal($"nodes/{node}", new FileInfo(Path.Combine(path, "node")).LinkTarget);
            File.WriteAllText(Path.Combine(path, "node", "mine"), $"node {node}");
        }
        Assert.Equal("node 2", File.ReadAllText(Path.Combine(Rig.LocalPath, "nodes", "2", "mine")));
        Assert.Equal("node 1", File.ReadAllText(Path.Combine(Rig.RemotePath, "nodes", "1", "mine")));
    }

    [Fact]
    public async Task Exactly_one_node_wins_an_O_EXCL_race()
    {
        var (server, remote) = NewDirectory();
        for (int round = 0; round < 40; round++)
        {
            string name = $"race-{round}";
            var contenders = Enumerable.Range(0, 6).Select(i => (Dir: i % 2 == 0 ? server : remote, Id: i)).ToArray();
            using var start = new Barrier(contenders.Length);
            var results = await Task.WhenAll(contenders.Select(c => Task.Run(() =>
            {
                start.SignalAndWait();
                int fd = Sys.Open($"{c.Dir}/{name}", Sys.O_CREAT | Sys.O_EXCL | Sys.O_WRONLY, 0x1A4);
                if (fd < 0)
                    return (Won: false, Error: Sys.Errno);
                Sys.PwriteAll(fd, Encoding.ASCII.GetBytes(c.Id.ToString()), 0);
                Sys.Close(fd);
                return (Won: true, Error: 0);
            })));
            Assert.Single(results, r => r.Won);
            Assert.All(results.Where(r => !r.Won), r => Assert.Equal(17, r.Error));
        }
    }

    [Fact]
    public async Task Rename_over_a_file_is_atomic_for_readers_on_the_other_node()
    {
        var (server, remote) = NewDirectory();
        File.WriteAllText($"{server}/current", new string('a', 10000));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        int reads = 0;
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var seen = new HashSet<char>();
            while (!stop.IsCancellationRequested)
            {
                string content = File.ReadAllText($"{remote}/current");
                Assert.Equal(10000, content.Length);
                Assert.True(content.All(ch => ch == content[0]), "torn content");
                seen.Add(content[0]);
                Interlocked.Increment(ref reads);
            }
            return seen.Count;
        })).ToArray();
        int renames = 0;
        while (!stop.IsCancellationRequested)
        {
            char next = (char)('a' + renames % 26);
            File.WriteAllText($"{server}/next", new string(next, 10000));
            File.Move($"{server}/next", $"{server}/current", overwrite: true);
            renames++;
        }
        var versions = await Task.WhenAll(readers);
        output.WriteLine($"{renames} renames, {reads} reads, versions seen per reader: {string.Join(", ", versions)}");
        Assert.All(versions, v => Assert.True(v > 1, "a reader never saw a new version"));
    }
}
