using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Ssi.Protocol;

namespace Ssi.Membership;

/// <summary>
/// This node's copy of the membership state, fed in epoch order from whichever source has the
/// next command: the local Raft state machine (voters), pushes from the master, or a snapshot
/// when this node fell behind. It is the only place events are delivered from, so every node
/// delivers the same events in the same (epoch) order, each exactly once.
/// </summary>
internal sealed class MembershipReplica
{
    private readonly Lock _lock = new();
    private readonly MembershipState _state = new();
    private readonly List<Channel<NodeEvent>> _subscribers = [];

    /// <summary>Raised (outside the lock) after the state moved to a newer epoch.</summary>
    public event Action? Changed;

    /// <summary>Raised (outside the lock) after one command was applied in sequence, with the epoch it produced.</summary>
    public event Action<long, MembershipCommand>? Applied;

    /// <summary>Outcome of <see cref="TryApply"/>.</summary>
    public enum ApplyResult
    {
        /// <summary>The command was the next one and is applied.</summary>
        Applied,
        /// <summary>The command's epoch is already applied; ignored.</summary>
        Duplicate,
        /// <summary>Commands are missing before this one; a snapshot is needed.</summary>
        Gap,
    }

    /// <summary>Current epoch.</summary>
    public long Epoch { get { lock (_lock) return _state.Epoch; } }

    /// <summary>Runs <paramref name="read"/> on a consistent state.</summary>
    public T Read<T>(Func<MembershipState, T> read)
    {
        lock (_lock)
            return read(_state);
    }

    /// <summary>Applies <paramref name="command"/>, whose epoch (after applying) is <paramref name="epoch"/>.</summary>
    public ApplyResult TryApply(long epoch, MembershipCommand command)
    {
        lock (_lock)
        {
            if (epoch <= _state.Epoch)
                return ApplyResult.Duplicate;
            if (epoch != _state.Epoch + 1)
                return ApplyResult.Gap;
            var ev = _state.Apply(command);
            if (ev is not null)
                Publish(ev);
        }
        Applied?.Invoke(epoch, command);
        Changed?.Invoke();
        return ApplyResult.Applied;
    }

    /// <summary>Jumps to <paramref name="snapshot"/> if it is newer, delivering the events in between.</summary>
    public bool TryCatchUp(MembershipSnapshot snapshot)
    {
        lock (_lock)
        {
            if (snapshot.Epoch <= _state.Epoch)
                return false;
            var from = _state.Epoch;
            _state.Restore(snapshot);
            foreach (var ev in snapshot.RecentEvents)
                if (ev.Epoch > from)
                    Publish(ev);
        }
        Changed?.Invoke();
        return true;
    }

    private void Publish(NodeEvent ev)
    {
        for (var i = _subscribers.Count - 1; i >= 0; i--)
            if (!_subscribers[i].Writer.TryWrite(ev))
                _subscribers.RemoveAt(i);
    }

    /// <summary>
    /// Events after <paramref name="afterEpoch"/> (those still in the history), then live ones,
    /// in epoch order, without gaps or duplicates between the two.
    /// </summary>
    public async IAsyncEnumerable<NodeEvent> WatchAsync(long afterEpoch, [EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateUnbounded<NodeEvent>(new UnboundedChannelOptions { SingleReader = true });
        NodeEvent[] backlog;
        lock (_lock)
        {
            backlog = [.. _state.RecentEvents.Where(e => e.Epoch > afterEpoch)];
            _subscribers.Add(channel);
        }
        try
        {
            foreach (var ev in backlog)
                yield return ev;
            while (await channel.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
                while (channel.Reader.TryRead(out var ev))
                    yield return ev;
        }
        finally
        {
            lock (_lock)
                _subscribers.Remove(channel);
            channel.Writer.TryComplete();
        }
    }

    /// <summary>Ends every watcher (the node is shutting down).</summary>
    public void CompleteWatchers()
    {
        lock (_lock)
        {
            foreach (var s in _subscribers)
                s.Writer.TryComplete();
            _subscribers.Clear();
        }
    }
}
