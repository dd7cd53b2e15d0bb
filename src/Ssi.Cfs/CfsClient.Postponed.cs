using Ssi.Cfs.Wire;

namespace Ssi.Cfs;

/// <summary>
/// Messages the kernel does not wait for, gathered for a moment and sent one-way in batches: forgets (every
/// unlink and evicted inode brings one) and releases of files that never had a lock (every close brings one).
/// They cost the server one message per batch instead of a wake-up (and a reply) per file.
/// </summary>
public sealed partial class CfsClient
{
    private static readonly TimeSpan PostponeDelay = TimeSpan.FromMilliseconds(5);
    private const int MaxPostponedBatch = 4096;

    /// <summary>A forget (<see cref="IsRelease"/> false: <see cref="Count"/> lookups of <see cref="Node"/>) or a release of a file handle.</summary>
    private readonly record struct Postponed(bool IsRelease, ulong Node, ulong Count, ulong Handle, int Flags, uint ReleaseFlags, ulong Owner);

    private async Task SendPostponedAsync()
    {
        var reader = _postponed.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            await Task.Delay(PostponeDelay).ConfigureAwait(false);
            var forgets = new CfsWriter(4096).U64(Instance).U32((uint)LocalNode);
            var releases = new CfsWriter(256).U64(Instance).U32((uint)LocalNode);
            int forgotten = 0, released = 0;
            while (forgotten + released < MaxPostponedBatch && reader.TryRead(out var item))
            {
                if (item.IsRelease)
                {
                    releases.U64(item.Node).U64(item.Handle).I32(item.Flags).U32(item.ReleaseFlags).U64(item.Owner);
                    released++;
                }
                else
                {
                    forgets.U64(item.Node).U64(item.Count);
                    forgotten++;
                }
            }
            if (_detached)
                continue;
            // A file is closed at the server after the writes this node answered for it (they use its handle),
            // and before its node is forgotten: one-way messages are handled in the order they are sent.
            if (released > 0)
            {
                await _writes.DrainAsync().ConfigureAwait(false);
                await _link.SendAsync(CfsMethods.Release, releases.Written).ConfigureAwait(false);
            }
            if (forgotten > 0)
                await _link.SendAsync(CfsMethods.Forget, forgets.Written).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// True when closing (<paramref name="node"/>, <paramref name="handle"/>) can wait for the next batch: no lock
    /// request went through it, so its release drops nothing another node could be waiting for.
    /// </summary>
    private bool TryPostponeRelease(ulong node, ulong handle, int flags, uint releaseFlags, ulong lockOwner)
    {
        if (_lockedHandles.TryRemove((node, handle), out _) || (releaseFlags & FlockUnlockFlag) != 0)
            return false;
        return _postponed.Writer.TryWrite(new Postponed(true, node, 0, handle, flags, releaseFlags, lockOwner));
    }

    /// <summary>FUSE_RELEASE_FLOCK_UNLOCK: the file had flock locks.</summary>
    private const uint FlockUnlockFlag = 2;
}
