using Microsoft.Extensions.Logging;
using Ssi.Cfs.Wire;
using Ssi.Fuse;

namespace Ssi.Cfs;

/// <summary>Closing a client's open file: one at a time (a release request), or in a one-way batch of files without locks.</summary>
public sealed partial class CfsServer
{
    /// <summary>Closes <paramref name="handle"/> for <paramref name="client"/>, dropping the locks that went through it.</summary>
    private async ValueTask<Errno> ReleaseFileAsync(int client, FuseRequestContext context, ulong node, ulong handle, int flags, uint releaseFlags, ulong lockOwner)
    {
        ulong owner = MapOwner(client, lockOwner);
        HashSet<ulong>? lockedThrough = null;
        Track(client, s =>
        {
            s.Files.Remove((node, handle));
            s.Locked.Remove((node, owner));
            if (s.LockedThrough.Remove((node, handle), out lockedThrough))
                s.Locked.ExceptWith(lockedThrough.Select(o => (node, o)));
        });
        foreach (ulong through in lockedThrough ?? [])
            await _store.FlushAsync(context, node, handle, through).ConfigureAwait(false);
        return await _store.ReleaseAsync(context, node, handle, flags, releaseFlags, owner).ConfigureAwait(false);
    }

    /// <summary>A <see cref="CfsMethods.Release"/> batch: instance, client node, then (node, handle, flags, release flags, lock owner) per file.</summary>
    private void ReleaseBatch(int peer, CfsReader r)
    {
        ulong instance = r.U64();
        int client = ClientOf(peer, (int)r.U32());
        if (instance != Instance)
            return;
        var context = new FuseRequestContext(0, 0, 0, 0, CancellationToken.None);
        while (r.Remaining >= 32)
        {
            ulong node = r.U64(), handle = r.U64();
            int flags = r.I32();
            uint releaseFlags = r.U32();
            var released = ReleaseFileAsync(client, context, node, handle, flags, releaseFlags, r.U64());
            // Files without locks close at once (one close(2)); anything slower must not hold up the receive loop.
            if (!released.IsCompleted)
                _ = ObserveAsync(released, client);
        }
    }

    private async Task ObserveAsync(ValueTask<Errno> released, int client)
    {
        try
        {
            await released.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            _log.LogDebug("release for node {Node} failed: {Reason}", client, e.Message);
        }
    }
}
