using System.Diagnostics;
using Ssi.Fuse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ssi.Fuse.Tests;

/// <summary>
/// Round-trip latency and sequential throughput through a passthrough mount next to the same work on
/// the backing directory. Figures go to the test output; nothing is asserted about them.
/// </summary>
public sealed class PerformanceReport(ITestOutputHelper output) : IAsyncLifetime
{
    private const int MiB = 1024 * 1024;
    private PassthroughMount _m = null!;

    // Default caching: the latency loop forces a GETATTR per call with AT_STATX_FORCE_SYNC anyway.
    public async Task InitializeAsync() => _m = await PassthroughMount.CreateAsync();

    public async Task DisposeAsync() => await _m.DisposeAsync();

    [Fact]
    public async Task Getattr_latency_and_sequential_throughput_compared_with_the_backing_directory()
    {
        await File.WriteAllTextAsync(_m.InBacking("probe"), "x");
        (double fuseP50, double fuseP99, double fuseMean) = StatLatency(_m.InMount("probe"), 20_000);
        (double nativeP50, _, double nativeMean) = StatLatency(_m.InBacking("probe"), 20_000);
        output.WriteLine($"getattr round trip (statx, forced sync), 20000 calls: FUSE p50 {fuseP50:F1} µs, p99 {fuseP99:F1} µs, mean {fuseMean:F1} µs; native p50 {nativeP50:F1} µs, mean {nativeMean:F1} µs");

        const int size = 256 * MiB;
        double fuseWrite = await WriteMegabytesPerSecondAsync(_m.InMount("seq-write"), size);
        double nativeWrite = await WriteMegabytesPerSecondAsync(_m.InBacking("seq-write-native"), size);
        output.WriteLine($"sequential write {size / MiB} MiB in 1 MiB writes + fsync: FUSE {fuseWrite:F0} MB/s, native {nativeWrite:F0} MB/s");

        // Read a file the kernel has never cached through the mount; the backing pages are warm for both.
        await WriteMegabytesPerSecondAsync(_m.InBacking("seq-read"), size);
        double nativeRead = await ReadMegabytesPerSecondAsync(_m.InBacking("seq-read"));
        double fuseRead = await ReadMegabytesPerSecondAsync(_m.InMount("seq-read"));
        double fuseCachedRead = await ReadMegabytesPerSecondAsync(_m.InMount("seq-read"));
        output.WriteLine($"sequential read {size / MiB} MiB in 1 MiB reads (.NET FileStream): FUSE {fuseRead:F0} MB/s (again from the FUSE page cache {fuseCachedRead:F0} MB/s), native (page cache) {nativeRead:F0} MB/s");

        // The same with dd in another process, so the reader does not share this process with the server.
        await WriteMegabytesPerSecondAsync(_m.InBacking("dd-read"), size);
        string ddFuse = await DdAsync($"if='{_m.InMount("dd-read")}' of=/dev/null bs=1M");
        string ddNative = await DdAsync($"if='{_m.InBacking("dd-read")}' of=/dev/null bs=1M");
        string ddWrite = await DdAsync($"if=/dev/zero of='{_m.InMount("dd-write")}' bs=1M count={size / MiB} conv=fsync");
        string ddWriteNative = await DdAsync($"if=/dev/zero of='{_m.InBacking("dd-write-native")}' bs=1M count={size / MiB} conv=fsync");
        output.WriteLine($"dd read bs=1M: FUSE {ddFuse}, native {ddNative}; dd write bs=1M conv=fsync: FUSE {ddWrite}, native {ddWriteNative}");
    }

    private static async Task<string> DdAsync(string arguments)
    {
        Shell.Result result = await Shell.RunAsync($"dd {arguments} 2>&1 | tail -1");
        string line = result.Output.Trim();
        int comma = line.LastIndexOf(',');
        return comma < 0 ? line : line[(comma + 1)..].Trim();
    }

    private static (double P50, double P99, double Mean) StatLatency(string path, int count)
    {
        var samples = new double[count];
        for (int i = 0; i < 200; i++)
            TestLibc.Stat(path);
        long total = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            int error = TestLibc.Stat(path);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            Assert.Equal(0, error);
        }
        double mean = Stopwatch.GetElapsedTime(total).TotalMicroseconds / count;
        Array.Sort(samples);
        return (samples[count / 2], samples[count * 99 / 100], mean);
    }

    private static async Task<double> WriteMegabytesPerSecondAsync(string path, int size)
    {
        var block = new byte[MiB];
        new Random(1).NextBytes(block);
        var watch = Stopwatch.StartNew();
        await using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1))
        {
            for (int written = 0; written < size; written += block.Length)
                await stream.WriteAsync(block);
            stream.Flush(flushToDisk: true);
        }
        return size / (double)MiB / watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> ReadMegabytesPerSecondAsync(string path)
    {
        var block = new byte[MiB];
        long total = 0;
        var watch = Stopwatch.StartNew();
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1))
        {
            int n;
            while ((n = await stream.ReadAsync(block)) > 0)
                total += n;
        }
        return total / (double)MiB / watch.Elapsed.TotalSeconds;
    }
}
