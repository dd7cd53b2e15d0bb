using Ssi.Fuse.Passthrough;
using Ssi.Fuse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ssi.Fuse.Tests;

/// <summary>Server-driven coherence: the kernel keeps cached data until the server notifies it.</summary>
public sealed class NotifyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly PassthroughOptions s_longCaching = new()
    {
        EntryTimeout = TimeSpan.FromHours(1),
        AttributeTimeout = TimeSpan.FromHours(1),
        NegativeTimeout = TimeSpan.FromHours(1),
        KeepCache = true,
    };

    private PassthroughMount _m = null!;

    public async Task InitializeAsync() =>
        _m = await PassthroughMount.CreateAsync(s_longCaching, new FuseMountOptions
        {
            Subtype = "ssi-test",
            // Without this the kernel drops cached pages by itself when a GETATTR shows a new mtime (after each read
            // invalidates atime): coherence then comes from notifications only, which is what is tested here.
            Capabilities = FuseMountOptions.DefaultCapabilities & ~FuseCapabilities.AutoInvalidateData,
            Logger = new TestOutputLogger(output),
        });

    public async Task DisposeAsync() => await _m.DisposeAsync();

    [Fact]
    public async Task Invalidating_an_inode_makes_the_kernel_read_the_changed_backing_file()
    {
        await File.WriteAllTextAsync(_m.InBacking("page"), new string('A', 4096));
        Assert.Equal('A', (await File.ReadAllTextAsync(_m.InMount("page")))[0]);

        await File.WriteAllTextAsync(_m.InBacking("page"), new string('B', 4096));
        Assert.Equal('A', (await File.ReadAllTextAsync(_m.InMount("page")))[0]); // still cached

        ulong node = _m.FileSystem.FindNode("page") ?? throw new InvalidOperationException("the kernel should know the node");
        Assert.Equal(Errno.Ok, _m.Mount.InvalidateInode(node));

        Assert.Equal('B', (await File.ReadAllTextAsync(_m.InMount("page")))[0]);
    }

    [Fact]
    public async Task Invalidating_an_entry_makes_a_name_created_behind_the_mount_visible()
    {
        Assert.False(File.Exists(_m.InMount("late")));
        await File.WriteAllTextAsync(_m.InBacking("late"), "here now");
        Assert.False(File.Exists(_m.InMount("late"))); // negative entry cached

        Assert.Equal(Errno.Ok, _m.Mount.InvalidateEntry(1, "late"));

        Assert.Equal("here now", await File.ReadAllTextAsync(_m.InMount("late")));
    }

    [Fact]
    public async Task Notify_delete_drops_a_name_removed_behind_the_mount()
    {
        await File.WriteAllTextAsync(_m.InBacking("gone"), "x");
        Assert.True(File.Exists(_m.InMount("gone")));
        ulong node = _m.FileSystem.FindNode("gone")!.Value;
        File.Delete(_m.InBacking("gone"));
        Assert.True(File.Exists(_m.InMount("gone"))); // cached positive entry and attributes

        Assert.Equal(Errno.Ok, _m.Mount.NotifyDelete(1, node, "gone"));

        Assert.False(File.Exists(_m.InMount("gone")));
    }

    [Fact]
    public async Task Store_pushes_data_into_the_kernel_cache()
    {
        await File.WriteAllTextAsync(_m.InBacking("pushed"), new string('A', 4096));
        Assert.Equal('A', (await File.ReadAllTextAsync(_m.InMount("pushed")))[0]);
        ulong node = _m.FileSystem.FindNode("pushed")!.Value;

        Assert.Equal(Errno.Ok, _m.Mount.Store(node, 0, "ZZZZ"u8));

        Assert.StartsWith("ZZZZA", await File.ReadAllTextAsync(_m.InMount("pushed")));
    }

    [Fact]
    public void Notifications_about_nodes_the_kernel_does_not_hold_say_ENOENT()
    {
        Assert.Equal(Errno.ENOENT, _m.Mount.InvalidateInode(123456789));
    }
}
