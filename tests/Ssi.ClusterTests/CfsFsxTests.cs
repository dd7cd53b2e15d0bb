using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Ssi.Box;
using Xunit.Abstractions;

namespace Ssi.ClusterTests;

/// <summary>
/// fsx-style data integrity across real box nodes: a worker process on each of the three nodes keeps
/// /cluster/fsx.dat open; the test sends each random operation (write, read, truncate, hole punch,
/// shared-mmap write and read, reopen) to a random node and checks every result, and the size another
/// node sees, against a reference copy. Runs SSI_FSX_SECONDS seconds (default 30).
/// </summary>
[Trait("Category", "Cluster")]
[Collection("box")]
public class CfsFsxTests(ITestOutputHelper output)
{
    private const int MaxSize = 4 << 20;
    private const int PageSize = 4096;

    [Fact]
    public async Task Random_operations_from_three_nodes_keep_the_file_identical_to_the_reference()
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("SSI_FSX_SECONDS"), out int s) ? s : 30;
        string suite = Path.Combine(AppContext.BaseDirectory.Replace("Ssi.ClusterTests", "Ssi.Cfs.Tests", StringComparison.Ordinal), "Ssi.Cfs.Tests.dll");
        string dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        await using var box = await TestBox.UpAsync(3, output);
        var workers = new List<Worker>();
        try
        {
            foreach (var node in box.Box.Nodes)
                workers.Add(await Worker.StartAsync(node, dotnet, suite));
            int seed = Environment.TickCount;
            output.WriteLine($"seed {seed}, {seconds} s");
            var random = new Random(seed);
            var model = new byte[MaxSize];
            long size = 0, step = 0;
            var counts = new Dictionary<string, int>();
            var log = new Queue<string>();
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                step++;
                int k = random.Next(workers.Count);
                var worker = workers[k];
                string op;
                int choice = random.Next(100);
                if (choice < 30)
                {
                    op = "write";
                    int offset = random.Next(MaxSize - 1), length = Math.Min(random.Next(1, 65536), MaxSize - offset), dataSeed = random.Next();
                    await Expect(worker, $"w {offset} {length} {dataSeed}", "ok", log);
                    Data(dataSeed, length).CopyTo(model, offset);
                    size = Math.Max(size, offset + length);
                }
                else if (choice < 55)
                {
                    op = "read";
                    int offset = random.Next(MaxSize), length = random.Next(1, 65536);
                    long n = Math.Clamp(size - offset, 0, length);
                    await Expect(worker, $"r {offset} {length}", $"{n} {Hash(model.AsSpan(offset, (int)n))}", log);
                }
                else if (choice < 63)
                {
                    op = "truncate";
                    int newSize = random.Next(MaxSize);
                    await Expect(worker, $"t {newSize}", "ok", log);
                    if (newSize < size)
                        Array.Clear(model, newSize, (int)(size - newSize));
                    size = newSize;
                }
                else if (choice < 70 && size > 0)
                {
                    op = "punch";
                    int offset = random.Next((int)size), length = random.Next(1, 65536);
                    await Expect(worker, $"p {offset} {length}", "ok", log);
                    Array.Clear(model, offset, (int)Math.Min(length, size - offset));
                }
                else if (choice < 85 && size > 0)
                {
                    op = "mapwrite";
                    int offset = random.Next((int)size), length = (int)Math.Min(random.Next(1, 16384), size - offset), dataSeed = random.Next();
                    await Expect(worker, $"mw {offset} {length} {dataSeed}", "ok", log);
                    Data(dataSeed, length).CopyTo(model, offset);
                }
                else if (choice < 95 && size > 0)
                {
                    op = "mapread";
                    int offset = random.Next((int)size), length = (int)Math.Min(random.Next(1, 65536), size - offset);
                    await Expect(worker, $"mr {offset} {length}", $"{length} {Hash(model.AsSpan(offset, length))}", log);
                }
                else
                {
                    op = "reopen";
                    await Expect(worker, "o", "ok", log);
                }
                counts[op] = counts.GetValueOrDefault(op) + 1;
                var other = workers[(k + 1 + random.Next(workers.Count - 1)) % workers.Count];
                await Expect(other, "s", size.ToString(CultureInfo.InvariantCulture), log);
            }
            output.WriteLine($"{step} operations from {workers.Count} nodes: {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}");
            foreach (var worker in workers)
                await Expect(worker, $"r 0 {MaxSize}", $"{size} {Hash(model.AsSpan(0, (int)size))}", log);
        }
        finally
        {
            foreach (var worker in workers)
                await worker.DisposeAsync();
        }
    }

    private static async Task Expect(Worker worker, string command, string expected, Queue<string> log)
    {
        string reply = await worker.AskAsync(command);
        log.Enqueue($"node {worker.Node.Number}: {command} -> {reply}");
        if (log.Count > 20)
            log.Dequeue();
        Assert.True(reply == expected, $"node {worker.Node.Number}: '{command}' answered '{reply}', expected '{expected}'\n{string.Join("\n", log)}");
    }

    private static byte[] Data(long seed, int length)
    {
        var data = new byte[length];
        new Random((int)seed).NextBytes(data);
        return data;
    }

    private static string Hash(ReadOnlySpan<byte> data) => Convert.ToHexString(SHA256.HashData(data));

    /// <summary>A worker process inside a node, driven over two fifos in the box's state directory.</summary>
    private sealed class Worker(BoxNode node, StreamWriter commands, StreamReader replies) : IAsyncDisposable
    {
        public BoxNode Node { get; } = node;

        public static async Task<Worker> StartAsync(BoxNode node, string dotnet, string suite)
        {
            var clock = Stopwatch.StartNew();
            while (!(await node.RunAsync("readlink", "/cluster/node")).Succeeded)
            {
                Assert.True(clock.Elapsed < TestBox.Patience, $"node {node.Number} did not mount /cluster");
                await Task.Delay(100);
            }
            string commandFifo = Path.Combine(node.StateDirectory, "fsx.commands"), replyFifo = Path.Combine(node.StateDirectory, "fsx.replies");
            foreach (var fifo in new[] { commandFifo, replyFifo })
            {
                using var mkfifo = Process.Start("mkfifo", [fifo]);
                await mkfifo.WaitForExitAsync();
            }
            node.Start(new NodeCommand("fsx", dotnet, [suite, "fsx-serve", "/cluster/fsx.dat", commandFifo, replyFifo]));
            var opening = Task.Run(() =>
            {
                var writer = new StreamWriter(new FileStream(commandFifo, FileMode.Open, FileAccess.Write)) { AutoFlush = true };
                var reader = new StreamReader(new FileStream(replyFifo, FileMode.Open, FileAccess.Read));
                return new Worker(node, writer, reader);
            });
            return await opening.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public async Task<string> AskAsync(string command)
        {
            await commands.WriteLineAsync(command);
            return await replies.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) ?? "(worker exited)";
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await AskAsync("q");
            }
            catch (Exception e) when (e is IOException or TimeoutException)
            {
            }
            commands.Dispose();
            replies.Dispose();
            await Node.KillAsync("fsx");
        }
    }
}
