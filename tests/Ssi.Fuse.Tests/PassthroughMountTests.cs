using System.Security.Cryptography;
using System.Text;
using Ssi.Fuse.Tests.Infrastructure;

namespace Ssi.Fuse.Tests;

/// <summary>A passthrough mount used with ordinary .NET file APIs and shell tools, compared with its backing directory.</summary>
public sealed class PassthroughMountTests : IAsyncLifetime
{
    private PassthroughMount _m = null!;

    public async Task InitializeAsync() => _m = await PassthroughMount.CreateAsync();

    public async Task DisposeAsync() => await _m.DisposeAsync();

    [Fact]
    public void The_mount_negotiated_locks_readdirplus_and_big_requests()
    {
        FuseConnectionInfo connection = _m.Mount.Connection;
        Assert.Equal(7u, connection.ProtocolMajor);
        Assert.True(connection.KernelMinor >= 31);
        Assert.True(connection.Has(FuseCapabilities.PosixLocks));
        Assert.True(connection.Has(FuseCapabilities.FlockLocks));
        Assert.True(connection.Has(FuseCapabilities.ReaddirPlus));
        Assert.True(connection.Has(FuseCapabilities.MaxPages));
        Assert.Equal(1024u * 1024, connection.MaxWrite);
        string mounts = File.ReadAllText("/proc/self/mounts");
        Assert.Contains($" {_m.MountPoint} fuse.ssi-test ", mounts);
    }

    [Fact]
    public void A_name_has_a_known_node_only_while_the_kernel_holds_one()
    {
        using (var held = File.Create(_m.InMount("held")))
        {
            File.WriteAllText(_m.InBacking("behind"), "never looked up through the mount");

            Assert.NotEqual(0UL, _m.FileSystem.KnownNode(1, new FileName("held"u8.ToArray())));
            Assert.Equal(0UL, _m.FileSystem.KnownNode(1, new FileName("behind"u8.ToArray())));
            Assert.Equal(0UL, _m.FileSystem.KnownNode(1, new FileName("missing"u8.ToArray())));
            Assert.Equal(0UL, _m.FileSystem.KnownNode(999_999, new FileName("held"u8.ToArray())));
        }
    }

    [Fact]
    public async Task Files_written_through_the_mount_appear_in_the_backing_directory_and_back()
    {
        await File.WriteAllTextAsync(_m.InMount("hello.txt"), "hello, cluster\n");
        Assert.Equal("hello, cluster\n", await File.ReadAllTextAsync(_m.InBacking("hello.txt")));

        await File.WriteAllTextAsync(_m.InBacking("from-backing.txt"), "behind the mount");
        Assert.Equal("behind the mount", await File.ReadAllTextAsync(_m.InMount("from-backing.txt")));

        await File.AppendAllTextAsync(_m.InMount("hello.txt"), "more\n");
        Assert.Equal("hello, cluster\nmore\n", await File.ReadAllTextAsync(_m.InBacking("hello.txt")));
    }

    [Fact]
    public async Task Shell_tools_work_through_the_mount_like_on_a_local_directory()
    {
        string script = """
            set -e
            echo hello > a
            cp a b
            mv b c
            ln c d
            ln -s a e
            mkdir -p dir/sub
            touch dir/sub/x
            truncate -s 1M t
            dd if=/dev/urandom of=z bs=64k count=16 status=none
            rm a
            chmod 640 c
            stat -c '%s %h %a %F' c
            readlink e
            ls dir/sub
            """;
        string output = await Shell.CheckAsync($"cd '{_m.MountPoint}' && {script}");
        Assert.Equal("6 2 640 regular file\na\nx\n", output);

        Assert.False(File.Exists(_m.InBacking("a")));
        Assert.Equal("hello\n", await File.ReadAllTextAsync(_m.InBacking("c")));
        Assert.Equal("a", new FileInfo(_m.InBacking("e")).LinkTarget);
        Assert.True(File.Exists(_m.InBacking("dir/sub/x")));
        Assert.Equal(1024 * 1024, new FileInfo(_m.InBacking("t")).Length);
        Assert.Equal(
            SHA256.HashData(await File.ReadAllBytesAsync(_m.InBacking("z"))),
            SHA256.HashData(await File.ReadAllBytesAsync(_m.InMount("z"))));
        string backingStat = await Shell.CheckAsync($"stat -c '%s %h %a' '{_m.InBacking("d")}'");
        Assert.Equal("6 2 640\n", backingStat);

        string mountListing = await Shell.CheckAsync($"cd '{_m.MountPoint}' && ls -la --time-style=+%s | tail -n +2 | awk '{{print $1,$2,$5,$7}}' | grep -v ' \\.\\.$'");
        string backingListing = await Shell.CheckAsync($"cd '{_m.Backing}' && ls -la --time-style=+%s | tail -n +2 | awk '{{print $1,$2,$5,$7}}' | grep -v ' \\.\\.$'");
        Assert.Equal(backingListing, mountListing);
    }

    [Fact]
    public async Task Errors_are_the_same_errno_as_on_the_backing_directory()
    {
        Assert.Throws<FileNotFoundException>(() => File.ReadAllText(_m.InMount("missing")));
        Directory.CreateDirectory(_m.InMount("full"));
        await File.WriteAllTextAsync(_m.InMount("full/f"), "x");

        Shell.Result rmdir = await Shell.RunAsync($"rmdir '{_m.InMount("full")}'");
        Assert.Contains("Directory not empty", rmdir.Error);
        Shell.Result mkdir = await Shell.RunAsync($"mkdir '{_m.InMount("full")}'");
        Assert.Contains("File exists", mkdir.Error);
        Shell.Result link = await Shell.RunAsync($"ln '{_m.InMount("full")}' '{_m.InMount("hard")}'");
        Assert.Contains("hard link not allowed for directory", link.Error);
    }

    [Fact]
    public async Task Files_created_by_another_user_belong_to_that_user()
    {
        await Shell.CheckAsync($"chmod 1777 '{_m.Backing}'");
        await Shell.CheckAsync($"setpriv --reuid=4242 --regid=4343 --clear-groups -- bash -c 'echo mine > \"{_m.InMount("owned")}\" && mkdir \"{_m.InMount("owned-dir")}\"'");

        Assert.Equal("4242 4343\n", await Shell.CheckAsync($"stat -c '%u %g' '{_m.InBacking("owned")}'"));
        Assert.Equal("4242 4343\n", await Shell.CheckAsync($"stat -c '%u %g' '{_m.InBacking("owned-dir")}'"));
        // default_permissions: the kernel enforces the mode for other users.
        Shell.Result denied = await Shell.RunAsync($"chmod 600 '{_m.InMount("owned")}' && setpriv --reuid=5000 --regid=5000 --clear-groups -- cat '{_m.InMount("owned")}'");
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("Permission denied", denied.Error);
    }

    [Fact]
    public async Task A_sparse_file_larger_than_4_GiB_keeps_its_size_and_tail()
    {
        const long offset = 5L * 1024 * 1024 * 1024;
        byte[] tail = Encoding.ASCII.GetBytes("the end of a big file");
        await using (var stream = new FileStream(_m.InMount("big"), FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            stream.Seek(offset, SeekOrigin.Begin);
            await stream.WriteAsync(tail);
        }

        Assert.Equal(offset + tail.Length, new FileInfo(_m.InMount("big")).Length);
        Assert.Equal(offset + tail.Length, new FileInfo(_m.InBacking("big")).Length);
        await using (var stream = new FileStream(_m.InMount("big"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            stream.Seek(offset, SeekOrigin.Begin);
            var read = new byte[tail.Length];
            await stream.ReadExactlyAsync(read);
            Assert.Equal(tail, read);
        }
        string blocks = await Shell.CheckAsync($"stat -c %b '{_m.InMount("big")}'");
        Assert.True(long.Parse(blocks.Trim(), System.Globalization.CultureInfo.InvariantCulture) < 1024, "the file should stay sparse");
    }

    [Fact]
    public async Task A_directory_of_1000_entries_lists_completely()
    {
        var expected = new HashSet<string>();
        for (int i = 0; i < 1000; i++)
        {
            string name = $"entry-{i:D4}-{new string('x', i % 40)}";
            expected.Add(name);
            await File.WriteAllTextAsync(Path.Combine(_m.Backing, name), "");
        }

        var listed = Directory.EnumerateFileSystemEntries(_m.MountPoint).Select(Path.GetFileName).ToHashSet();
        Assert.Equal(expected, listed!);
        Assert.Equal("1000\n", await Shell.CheckAsync($"ls -1 '{_m.MountPoint}' | wc -l"));
        // ls -l uses the attributes readdirplus delivered (or lookups): sizes must match too.
        Assert.Equal("1000\n", await Shell.CheckAsync($"ls -l '{_m.MountPoint}' | grep -c '^-'"));
    }

    [Fact]
    public async Task Concurrent_readers_on_several_threads_see_the_right_bytes()
    {
        byte[] content = new byte[16 * 1024 * 1024];
        new Random(7).NextBytes(content);
        await File.WriteAllBytesAsync(_m.InBacking("shared"), content);

        var readers = Enumerable.Range(0, 8).Select(reader => Task.Run(async () =>
        {
            var random = new Random(reader);
            await using var stream = new FileStream(_m.InMount("shared"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var buffer = new byte[256 * 1024];
            for (int i = 0; i < 40; i++)
            {
                int offset = random.Next(0, content.Length - buffer.Length);
                stream.Seek(offset, SeekOrigin.Begin);
                await stream.ReadExactlyAsync(buffer);
                Assert.True(buffer.AsSpan().SequenceEqual(content.AsSpan(offset, buffer.Length)), $"reader {reader} read wrong bytes at {offset}");
            }
        })).ToArray();
        await Task.WhenAll(readers);
    }

    [Fact]
    public unsafe void Extended_attributes_pass_through()
    {
        File.WriteAllText(_m.InMount("tagged"), "");
        byte[] value = Encoding.UTF8.GetBytes("node-3");
        fixed (byte* v = value)
            Assert.Equal(0, TestLibc.SetXattr(_m.InMount("tagged"), "user.ssi.origin", v, value.Length, 0));

        byte* read = stackalloc byte[64];
        nint fromBacking = TestLibc.GetXattr(_m.InBacking("tagged"), "user.ssi.origin", read, 64);
        Assert.Equal("node-3", Encoding.UTF8.GetString(read, (int)fromBacking));
        Assert.Equal(value.Length, TestLibc.GetXattr(_m.InMount("tagged"), "user.ssi.origin", null, 0));
        Assert.Equal(-1, TestLibc.GetXattr(_m.InMount("tagged"), "user.absent", read, 64));
        Assert.Equal(Errno.ENODATA.Value, TestLibc.LastError);
    }

    [Fact]
    public async Task Rename_replaces_and_moves_between_directories()
    {
        Directory.CreateDirectory(_m.InMount("one"));
        Directory.CreateDirectory(_m.InMount("two"));
        await File.WriteAllTextAsync(_m.InMount("one/f"), "first");
        await File.WriteAllTextAsync(_m.InMount("two/f"), "second");

        File.Move(_m.InMount("one/f"), _m.InMount("two/f"), overwrite: true);

        Assert.False(File.Exists(_m.InBacking("one/f")));
        Assert.Equal("first", await File.ReadAllTextAsync(_m.InBacking("two/f")));
        Assert.Equal("first", await File.ReadAllTextAsync(_m.InMount("two/f")));
    }

    [Fact]
    public async Task Forgotten_nodes_release_their_backing_descriptors()
    {
        for (int i = 0; i < 50; i++)
            await File.WriteAllTextAsync(_m.InMount($"f{i}"), "x");
        Assert.True(_m.FileSystem.KnownNodes > 50);

        // Dropping the kernel's dentry and inode caches makes it send FORGET / BATCH_FORGET.
        await Shell.CheckAsync("sync; echo 2 > /proc/sys/vm/drop_caches");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_m.FileSystem.KnownNodes > 10 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.True(_m.FileSystem.KnownNodes <= 10, $"{_m.FileSystem.KnownNodes} nodes still known");
    }
}
