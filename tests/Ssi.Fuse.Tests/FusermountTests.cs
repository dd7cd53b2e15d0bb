using Ssi.Fuse.Passthrough;
using Ssi.Fuse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ssi.Fuse.Tests;

/// <summary>The unprivileged path: fusermount3 mounts and hands the /dev/fuse descriptor back over a socket.</summary>
public sealed class FusermountTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Mounting_through_fusermount3_serves_and_unmounts()
    {
        if (!File.Exists("/usr/bin/fusermount3") && !File.Exists("/bin/fusermount3"))
        {
            output.WriteLine("fusermount3 is not installed (Debian package fuse3): nothing to test here.");
            return;
        }
        string directory = PassthroughMount.NewTestDirectory();
        string backing = Path.Combine(directory, "backing");
        string mountPoint = Path.Combine(directory, "mnt");
        await File.WriteAllTextAsync(Path.Combine(backing, "f"), "via fusermount3");
        try
        {
            using var fileSystem = new PassthroughFileSystem(backing);
            using (var mount = await FuseMount.MountAsync(mountPoint, fileSystem, new FuseMountOptions { UseFusermount = true, Subtype = "ssi-test" }))
            {
                Assert.Equal("via fusermount3", await File.ReadAllTextAsync(Path.Combine(mountPoint, "f")));
                Assert.Contains($" {mountPoint} fuse.ssi-test ", await File.ReadAllTextAsync("/proc/self/mounts"));
            }
            Assert.DoesNotContain($" {mountPoint} ", await File.ReadAllTextAsync("/proc/self/mounts"));
        }
        finally
        {
            FuseMount.ClearStaleMount(mountPoint);
            PassthroughMount.TryDelete(directory);
        }
    }
}
