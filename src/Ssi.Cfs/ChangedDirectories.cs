using System.Diagnostics;
using Ssi.Fuse;

namespace Ssi.Cfs;

/// <summary>
/// The attributes of directories this node has just changed (create, unlink, mkdir, ...), as the server's reply
/// carried them. The kernel drops its copy of a directory's attributes at every such change and, checking
/// permissions (<c>default_permissions</c>), asks for them again at the next path lookup through it: answered
/// from here, a create or unlink in a loop costs one round trip less each.
/// </summary>
/// <remarks>
/// An entry is used once, for at most <see cref="MaxAge"/>, and only if nothing happened in between that could
/// have changed any directory: every invalidation from the server and every change this node sends bumps
/// <see cref="Epoch"/> and empties the table, and a reply is kept only if the epoch is the one its own request
/// left. So an answer from here is never older than what the server would have said when the reply was sent,
/// and any later change by another node reaches this node as an invalidation that drops it.
/// </remarks>
internal sealed class ChangedDirectories
{
    /// <summary>How long a directory's attributes are kept for the kernel's next question.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, (InodeAttributes Attributes, long Since)> _known = [];
    private long _epoch;

    /// <summary>Bumped by every invalidation and every change this node sends.</summary>
    public long Epoch
    {
        get
        {
            lock (_gate)
                return _epoch;
        }
    }

    /// <summary>Something may have changed a directory: forget everything.</summary>
    public void Changed()
    {
        lock (_gate)
        {
            _epoch++;
            _known.Clear();
        }
    }

    /// <summary>Keeps <paramref name="attributes"/> of <paramref name="directory"/> if the epoch is still <paramref name="expected"/>.</summary>
    public void Offer(ulong directory, in InodeAttributes attributes, long expected)
    {
        lock (_gate)
        {
            if (_epoch == expected)
                _known[directory] = (attributes, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Takes the attributes of <paramref name="directory"/> if they are known and fresh.</summary>
    public bool TryTake(ulong directory, out InodeAttributes attributes)
    {
        lock (_gate)
        {
            if (_known.Remove(directory, out var known) && Stopwatch.GetElapsedTime(known.Since) < MaxAge)
            {
                attributes = known.Attributes;
                return true;
            }
        }
        attributes = default;
        return false;
    }

    /// <summary>The kernel forgot <paramref name="directory"/>: no invalidation will reach this node for it any more.</summary>
    public void Forget(ulong directory)
    {
        lock (_gate)
            _known.Remove(directory);
    }
}
