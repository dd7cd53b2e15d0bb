using Ssi.Cfs.Tests.Infrastructure;
using Ssi.Cfs.Tests.Posix;
using Xunit.Abstractions;

namespace Ssi.Cfs.Tests;

/// <summary>
/// fsx-style data integrity: random writes, reads, truncates, hole punches and shared-mmap writes and reads,
/// each on a randomly chosen node (the server node's mount or the remote node's), checked against a
/// reference copy in memory after every step. Runs SSI_FSX_SECONDS seconds (default 20).
/// </summary>
[Collection("cfs")]
public sealed unsafe class FsxTests(CfsRigFixture fixture, ITestOutputHelper output) : IClassFixture<CfsRigFixture>
{
    private const int MaxSize = 4 << 20;
    private const int PageSize = 4096;

    [Fact]
    public void Random_operations_on_two_nodes_keep_the_file_identical_to_the_reference()
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("SSI_FSX_SECONDS"), out int s) ? s : 20;
        int seed = Environment.TickCount;
        output.WriteLine($"seed {seed}, {seconds} s");
        var random = new Random(seed);
        string name = "fsx-" + Guid.NewGuid().ToString("N")[..8];
        string[] paths = [Path.Combine(fixture.Rig.LocalPath, name), Path.Combine(fixture.Rig.RemotePath, name)];
        int[] fds = [Sys.Open(paths[0], Sys.O_CREAT | Sys.O_RDWR, 0x1A4), -1];
        fds[1] = Sys.Open(paths[1], Sys.O_RDWR, 0);
        Assert.True(fds[0] >= 0 && fds[1] >= 0);
        var model = new byte[MaxSize];
        long size = 0;
        var counts = new Dictionary<string, int>();
        var log = new Queue<string>();
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        long step = 0;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                step++;
                int node = random.Next(2);
                int fd = fds[node];
                string op;
                switch (random.Next(100))
                {
                    case < 30:
                    {
                        op = "write";
                        int offset = random.Next(MaxSize - 1), length = Math.Min(random.Next(1, 65536), MaxSize - offset);
                        var data = new byte[length];
                        random.NextBytes(data);
                        Assert.Equal(length, Sys.PwriteAll(fd, data, offset));
                        data.CopyTo(model, offset);
                        size = Math.Max(size, offset + length);
                        Note(log, $"{step} node {node} write {offset}+{length}");
                        break;
                    }
                    case < 55:
                    {
                        op = "read";
                        int offset = random.Next(MaxSize), length = random.Next(1, 65536);
                        var buffer = new byte[length];
                        long n = Sys.PreadSome(fd, buffer, offset);
                        long expected = Math.Clamp(size - offset, 0, length);
                        Note(log, $"{step} node {node} read {offset}+{length} -> {n}");
                        Assert.True(n == expected, $"short read: {n} of {expected} at {offset}, size {size}\n{string.Join("\n", log)}");
                        Check(buffer.AsSpan(0, (int)n), model.AsSpan(offset, (int)n), offset, log);
                        break;
                    }
                    case < 63:
                    {
                        op = "truncate";
                        long newSize = random.Next(MaxSize);
                        Assert.Equal(0, Sys.Ftruncate(fd, newSize));
                        if (newSize < size)
                            Array.Clear(model, (int)newSize, (int)(size - newSize));
                        size = newSize;
                        Note(log, $"{step} node {node} truncate {newSize}");
                        break;
                    }
                    case < 70:
                    {
                        op = "punch";
                        if (size == 0)
                            goto default;
                        int offset = random.Next((int)size), length = random.Next(1, 65536);
                        Assert.Equal(0, Sys.Fallocate(fd, 3, offset, length));
                        Array.Clear(model, offset, (int)Math.Min(length, size - offset));
                        Note(log, $"{step} node {node} punch {offset}+{length}");
                        break;
                    }
                    case < 85:
                    {
                        op = "mapwrite";
                        if (size < PageSize)
                            goto default;
                        int pages = (int)(size / PageSize);
                        int first = random.Next(pages), count = Math.Min(random.Next(1, 16), pages - first);
                        nint length = count * PageSize;
                        nint map = Mapping.Map(0, length, Mapping.PROT_READ | Mapping.PROT_WRITE, Mapping.MAP_SHARED, fd, (long)first * PageSize);
                        Assert.True(map != -1, $"mmap failed: {Sys.Errno}");
                        int offsetInMap = random.Next((int)length), bytes = Math.Min(random.Next(1, 8192), (int)length - offsetInMap);
                        var data = new byte[bytes];
                        random.NextBytes(data);
                        fixed (byte* source = data)
                            Mapping.Copy((void*)(map + offsetInMap), source, bytes);
                        Assert.Equal(0, Mapping.Sync(map, length, Mapping.MS_SYNC));
                        Assert.Equal(0, Mapping.Unmap(map, length));
                        data.CopyTo(model, first * PageSize + offsetInMap);
                        Note(log, $"{step} node {node} mapwrite {first * PageSize + offsetInMap}+{bytes}");
                        break;
                    }
                    case < 95:
                    {
                        op = "mapread";
                        if (size < PageSize)
                            goto default;
                        int pages = (int)(size / PageSize);
                        int first = random.Next(pages), count = Math.Min(random.Next(1, 16), pages - first);
                        nint length = count * PageSize;
                        nint map = Mapping.Map(0, length, Mapping.PROT_READ, Mapping.MAP_SHARED, fd, (long)first * PageSize);
                        Assert.True(map != -1, $"mmap failed: {Sys.Errno}");
                        Note(log, $"{step} node {node} mapread {first * PageSize}+{length}");
                        var copy = new byte[length];
                        fixed (byte* destination = copy)
                            Mapping.Copy(destination, (void*)map, length);
                        Check(copy, model.AsSpan(first * PageSize, (int)length), first * PageSize, log);
                        Mapping.Unmap(map, length);
                        break;
                    }
                    default:
                    {
                        op = "reopen";
                        Sys.Close(fd);
                        fds[node] = Sys.Open(paths[node], Sys.O_RDWR, 0);
                        Assert.True(fds[node] >= 0);
                        Note(log, $"{step} node {node} reopen");
                        break;
                    }
                }
                counts[op] = counts.GetValueOrDefault(op) + 1;
                // Every step, the other node must see the size the reference has.
                Sys.Stat stat;
                Assert.Equal(0, Sys.Fstat(fds[1 - node], &stat));
                Assert.True(stat.Size == size, $"node {1 - node} sees size {stat.Size}, reference {size}\n{string.Join("\n", log)}");
            }
        }
        finally
        {
            Sys.Close(fds[0]);
            Sys.Close(fds[1]);
        }
        output.WriteLine($"{step} operations: {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}");
        output.WriteLine($"invalidations sent {fixture.Rig.Server.InvalidationsSent}, late {fixture.Rig.Server.InvalidationsLate}");
        Assert.Equal(model.AsSpan(0, (int)size).ToArray(), File.ReadAllBytes(paths[1]));
    }

    private static void Note(Queue<string> log, string line)
    {
        log.Enqueue(line);
        if (log.Count > 20)
            log.Dequeue();
    }

    private static void Check(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> expected, long offset, Queue<string> log)
    {
        int at = actual.SequenceEqual(expected) ? -1 : actual.CommonPrefixLength(expected);
        Assert.True(at < 0, $"data differs at {offset + at}\n{string.Join("\n", log)}");
    }
}
