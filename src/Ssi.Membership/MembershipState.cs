using Ssi.Protocol;

namespace Ssi.Membership;

/// <summary>
/// The membership state machine: who is in the cluster, with which number, in which state,
/// and who votes. Pure and deterministic: the same commands in the same order give the same
/// state and the same events on every node. Not thread-safe; the owner serializes access.
/// </summary>
/// <remarks>
/// Every applied command increments <see cref="Epoch"/> by one, whether or not it changes
/// anything, so the epoch is also the position in the command sequence: a replica that has
/// applied epoch N knows that it needs exactly epoch N+1 next.
/// </remarks>
internal sealed class MembershipState
{
    /// <summary>How many recent events a snapshot keeps, so that a replica that catches up
    /// from a snapshot can still deliver the events it missed.</summary>
    public const int EventHistory = 1024;

    private readonly SortedDictionary<int, MemberRecord> _members = new();
    private readonly Queue<NodeEvent> _recent = new();

    /// <summary>Name of the cluster (empty until the Init command is applied).</summary>
    public string ClusterName { get; private set; } = "";

    /// <summary>Unique id of the cluster (empty until the Init command is applied).</summary>
    public string ClusterId { get; private set; } = "";

    /// <summary>Number of commands applied so far.</summary>
    public long Epoch { get; private set; }

    /// <summary>Highest node number ever assigned; numbers are never reused.</summary>
    public int LastNumber { get; private set; }

    /// <summary>Members ordered by number.</summary>
    public IEnumerable<MemberRecord> Members => _members.Values;

    /// <summary>Recent events, oldest first.</summary>
    public IEnumerable<NodeEvent> RecentEvents => _recent;

    /// <summary>Finds a member by number.</summary>
    public MemberRecord? Find(int number) => _members.GetValueOrDefault(number);

    /// <summary>Finds a member by name (the node's identity).</summary>
    public MemberRecord? FindByName(string name)
    {
        foreach (var m in _members.Values)
            if (string.Equals(m.Name, name, StringComparison.Ordinal))
                return m;
        return null;
    }

    /// <summary>Finds a member by its Raft address.</summary>
    public MemberRecord? FindByRaftAddress(string address)
    {
        foreach (var m in _members.Values)
            if (string.Equals(m.RaftAddress, address, StringComparison.Ordinal))
                return m;
        return null;
    }

    /// <summary>
    /// Applies one command and returns the event it caused, if any. Invalid commands (an
    /// unknown node, a missing field) are applied as no-ops: the log is already committed, and
    /// every node must skip them the same way.
    /// </summary>
    public NodeEvent? Apply(MembershipCommand command)
    {
        Epoch++;
        var ev = command.Kind switch
        {
            CommandKind.Init => ApplyInit(command),
            CommandKind.Join => ApplyJoin(command),
            CommandKind.SetState => ApplySetState(command),
            CommandKind.SetVoter => ApplySetVoter(command),
            _ => null,
        };
        if (ev is not null)
        {
            _recent.Enqueue(ev);
            while (_recent.Count > EventHistory)
                _recent.Dequeue();
        }
        return ev;
    }

    private NodeEvent? ApplyInit(MembershipCommand c)
    {
        if (ClusterId.Length == 0)
        {
            ClusterName = c.ClusterName ?? "";
            ClusterId = c.ClusterId ?? "";
        }
        return null;
    }

    private NodeEvent? ApplyJoin(MembershipCommand c)
    {
        if (string.IsNullOrEmpty(c.Name))
            return null;
        var existing = FindByName(c.Name);
        if (existing is null)
        {
            var number = ++LastNumber;
            _members[number] = new MemberRecord(number, c.Name, c.IcsAddress ?? "", c.RaftAddress ?? "",
                NodeState.ComingUp, c.Voter ?? false, null, c.Time);
            return new NodeEvent(Epoch, number, c.Name, NodeState.Down, NodeState.ComingUp, c.Time, c.Reason ?? "joined");
        }

        var updated = existing with
        {
            IcsAddress = c.IcsAddress ?? existing.IcsAddress,
            RaftAddress = c.RaftAddress ?? existing.RaftAddress,
            IsVoter = c.Voter ?? existing.IsVoter,
        };
        if (existing.State == NodeState.ComingUp)
        {
            _members[existing.Number] = updated;
            return null;
        }
        _members[existing.Number] = updated with { State = NodeState.ComingUp, UpSince = null, ChangedAt = c.Time };
        return new NodeEvent(Epoch, existing.Number, existing.Name, existing.State, NodeState.ComingUp, c.Time, c.Reason ?? "rejoined");
    }

    private NodeEvent? ApplySetState(MembershipCommand c)
    {
        if (c.To is not { } to || !_members.TryGetValue(c.Node, out var m) || m.State == to)
            return null;
        _members[c.Node] = m with
        {
            State = to,
            UpSince = to == NodeState.Up ? c.Time : to == NodeState.Down ? null : m.UpSince,
            ChangedAt = c.Time,
        };
        return new NodeEvent(Epoch, m.Number, m.Name, m.State, to, c.Time, c.Reason ?? "");
    }

    private NodeEvent? ApplySetVoter(MembershipCommand c)
    {
        if (c.Voter is { } voter && _members.TryGetValue(c.Node, out var m))
            _members[c.Node] = m with { IsVoter = voter };
        return null;
    }

    /// <summary>Copies the whole state.</summary>
    public MembershipSnapshot ToSnapshot() =>
        new(ClusterName, ClusterId, Epoch, LastNumber, [.. _members.Values], [.. _recent]);

    /// <summary>Replaces the whole state with <paramref name="snapshot"/>.</summary>
    public void Restore(MembershipSnapshot snapshot)
    {
        ClusterName = snapshot.ClusterName;
        ClusterId = snapshot.ClusterId;
        Epoch = snapshot.Epoch;
        LastNumber = snapshot.LastNumber;
        _members.Clear();
        foreach (var m in snapshot.Members)
            _members[m.Number] = m;
        _recent.Clear();
        foreach (var e in snapshot.RecentEvents.TakeLast(EventHistory))
            _recent.Enqueue(e);
    }
}
