using Ssi.Box;
using Ssi.Protocol;

namespace Ssi.Bench;

internal static partial class CfsBench
{
    /// <summary>
    /// A tmpfs mounted inside node 1's mount namespace, under the export: the server, sshd and the native
    /// workload all run in that namespace, so every column works on the same memory-backed file system and
    /// the table compares the file system stacks rather than the VM's disk.
    /// </summary>
    private sealed class BackingTmpfs(BoxNode node, string path) : IAsyncDisposable
    {
        public static async Task<BackingTmpfs> MountAsync(BoxNode node, string path)
        {
            Directory.CreateDirectory(path);
            var result = await node.RunAsync("mount", "-t", "tmpfs", "-o", "size=2g", "cfs-bench", path);
            if (!result.Succeeded)
                throw new SsiException(Status.Internal, $"mounting a tmpfs at {path} on node {node.Number} failed: {result.StandardError.Trim()}");
            return new BackingTmpfs(node, path);
        }

        // Lazily: the CFS server still holds descriptors of the directories made there.
        public async ValueTask DisposeAsync() => await node.RunAsync("umount", "-l", path);
    }
}
