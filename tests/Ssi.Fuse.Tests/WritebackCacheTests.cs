using Ssi.Fuse.Tests.Infrastructure;

namespace Ssi.Fuse.Tests;

/// <summary>With the writeback cache the kernel batches buffered writes; what lands in the backing file must not change.</summary>
public sealed class WritebackCacheTests : IAsyncLifetime
{
    private PassthroughMount _m = null!;

    public async Task InitializeAsync() =>
        _m = await PassthroughMount.CreateAsync(options: new FuseMountOptions { Subtype = "ssi-test", WritebackCache = true });

    public async Task DisposeAsync() => await _m.DisposeAsync();

    [Fact]
    public async Task Appends_and_small_writes_reach_the_backing_file_intact()
    {
        Assert.True(_m.Mount.Connection.Has(FuseCapabilities.WritebackCache));
        for (int i = 0; i < 100; i++)
            await File.AppendAllTextAsync(_m.InMount("log"), $"line {i}\n");
        await Shell.CheckAsync($"echo tail >> '{_m.InMount("log")}' && sync '{_m.InMount("log")}'");

        string expected = string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i}\n")) + "tail\n";
        Assert.Equal(expected, await File.ReadAllTextAsync(_m.InMount("log")));
        Assert.Equal(expected, await File.ReadAllTextAsync(_m.InBacking("log")));
    }

    [Fact]
    public async Task A_write_only_open_still_works_when_the_kernel_needs_to_read_pages()
    {
        await File.WriteAllTextAsync(_m.InBacking("partial"), new string('a', 10000));
        await using (var stream = new FileStream(_m.InMount("partial"), FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.Seek(5000, SeekOrigin.Begin);
            await stream.WriteAsync("XYZ"u8.ToArray());
        }
        await Shell.CheckAsync($"sync '{_m.InMount("partial")}'");
        string content = await File.ReadAllTextAsync(_m.InBacking("partial"));
        Assert.Equal(10000, content.Length);
        Assert.Equal("aXYZa", content.Substring(4999, 5));
    }
}
