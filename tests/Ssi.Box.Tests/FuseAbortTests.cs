using Ssi.Box.Tests.Infrastructure;
using Ssi.Fuse;
using Ssi.Fuse.Passthrough;

namespace Ssi.Box.Tests;

/// <summary>
/// After a node's FUSE server is killed the box ends that node's FUSE connections; a node's
/// mount namespace began as a copy of the host's, and the host's FUSE mounts in it stay alone.
/// </summary>
[Trait("Category", "Cluster")]
public class FuseAbortTests
{
    [Fact]
    public async Task Killing_a_nodes_fuse_server_or_the_box_leaves_the_hosts_fuse_mounts_working()
    {
        var directory = Directory.CreateTempSubdirectory("ssi-box-fuse-");
        var backing = Directory.CreateDirectory(Path.Combine(directory.FullName, "backing")).FullName;
        var mountPoint = Directory.CreateDirectory(Path.Combine(directory.FullName, "mnt")).FullName;
        await File.WriteAllTextAsync(Path.Combine(backing, "file"), "host");
        try
        {
            using var fileSystem = new PassthroughFileSystem(backing);
            using var mount = await FuseMount.MountAsync(mountPoint, fileSystem);
            await using (var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 1))
            {
                var node = box.Node(1);
                node.Start(new NodeCommand("server", "sleep", ["1000"]));

                Assert.True(await node.KillAsync("server", 9, servesFuse: true));
                Assert.Equal("host", await File.ReadAllTextAsync(Path.Combine(mountPoint, "file")));
            }
            Assert.Equal("host", await File.ReadAllTextAsync(Path.Combine(mountPoint, "file")));
        }
        finally
        {
            FuseMount.AbortLeftoverMounts(mountPoint);
            directory.Delete(recursive: true);
        }
    }
}
