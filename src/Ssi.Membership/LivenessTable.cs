namespace Ssi.Membership;

/// <summary>
/// Heartbeat-timeout failure detector: remembers when each node was last heard from and says
/// which ones are suspect. Time is passed in (monotonic, as a <see cref="TimeSpan"/>), so the
/// logic is testable without sleeping. Thread-safe.
/// </summary>
/// <remarks>
/// A busy machine must not cause false alarms. When this node itself was not scheduled for a
/// while (the gap between two <see cref="Tick"/> calls exceeds <paramref name="stallThreshold"/>),
/// the heartbeats that other nodes sent meanwhile are still sitting in socket buffers: the
/// stall is forgiven by moving every last-heard time forward by its length.
/// </remarks>
internal sealed class LivenessTable(TimeSpan suspectAfter, TimeSpan stallThreshold)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, TimeSpan> _lastHeard = [];
    private readonly HashSet<int> _confirmed = [];
    private TimeSpan? _lastTick;

    /// <summary>Silence longer than this makes a node suspect.</summary>
    public TimeSpan SuspectAfter { get; } = suspectAfter;

    /// <summary>Records a sign of life from <paramref name="node"/>.</summary>
    public void Heard(int node, TimeSpan now)
    {
        lock (_lock)
        {
            _lastHeard[node] = now;
            _confirmed.Add(node);
        }
    }

    /// <summary>Starts watching <paramref name="node"/> afresh (it just joined): silence counts from now, and it is unconfirmed until heard.</summary>
    public void Reset(int node, TimeSpan now)
    {
        lock (_lock)
        {
            _lastHeard[node] = now;
            _confirmed.Remove(node);
        }
    }

    /// <summary>True when <paramref name="node"/> was heard from since it was last reset or first watched.</summary>
    public bool IsConfirmed(int node)
    {
        lock (_lock)
            return _confirmed.Contains(node);
    }

    /// <summary>Starts watching <paramref name="node"/> if not watched yet: silence is counted from now.</summary>
    public void Watch(int node, TimeSpan now)
    {
        lock (_lock)
            _lastHeard.TryAdd(node, now);
    }

    /// <summary>Stops watching <paramref name="node"/>.</summary>
    public void Forget(int node)
    {
        lock (_lock)
        {
            _lastHeard.Remove(node);
            _confirmed.Remove(node);
        }
    }

    /// <summary>How long <paramref name="node"/> has been silent; null when it is not watched.</summary>
    public TimeSpan? Silence(int node, TimeSpan now)
    {
        lock (_lock)
            return _lastHeard.TryGetValue(node, out var t) ? now - t : null;
    }

    /// <summary>True when <paramref name="node"/> is watched and silent for longer than <see cref="SuspectAfter"/>.</summary>
    public bool IsSuspect(int node, TimeSpan now) => Silence(node, now) > SuspectAfter;

    /// <summary>True when <paramref name="node"/> was heard within <paramref name="window"/>.</summary>
    public bool HeardWithin(int node, TimeSpan now, TimeSpan window) => Silence(node, now) <= window;

    /// <summary>Called by the detector loop on every round; forgives this node's own stalls.</summary>
    /// <returns>The stall that was forgiven (zero when none).</returns>
    public TimeSpan Tick(TimeSpan now)
    {
        lock (_lock)
        {
            var gap = _lastTick is { } last ? now - last : TimeSpan.Zero;
            _lastTick = now;
            if (gap <= stallThreshold)
                return TimeSpan.Zero;
            foreach (var node in _lastHeard.Keys.ToArray())
            {
                var moved = _lastHeard[node] + gap;
                _lastHeard[node] = moved > now ? now : moved;
            }
            return gap;
        }
    }
}
