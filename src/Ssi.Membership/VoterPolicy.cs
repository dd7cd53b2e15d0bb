using Ssi.Protocol;

namespace Ssi.Membership;

/// <summary>What the master should change in the Raft voter set next.</summary>
internal enum VoterChange
{
    /// <summary>Take a dead voter out of the Raft configuration.</summary>
    Remove,
    /// <summary>Make a healthy member a voter.</summary>
    Promote,
    /// <summary>Mark a voter that the Raft configuration no longer holds as a member, so that it can be promoted afresh.</summary>
    Demote,
}

/// <summary>One step of voter-set repair.</summary>
internal sealed record VoterDecision(VoterChange Change, MemberRecord Node);

/// <summary>
/// Chooses the Raft voter set: an odd number of voters (at most <c>maxVoters</c>, fewer when
/// the cluster is small), dead voters replaced by healthy members. One change at a time, as
/// Raft membership changes must be.
/// </summary>
internal static class VoterPolicy
{
    /// <summary>The number of voters wanted for <paramref name="liveMembers"/> nodes not DOWN: the largest odd number within both limits.</summary>
    public static int TargetVoters(int liveMembers, int maxVoters)
    {
        var n = Math.Min(liveMembers, maxVoters);
        if (n % 2 == 0)
            n--;
        return Math.Max(1, n);
    }

    /// <summary>How many more voters may fail before a group of <paramref name="voters"/> with <paramref name="live"/> live ones loses quorum.</summary>
    public static int Tolerance(int voters, int live) => live - (voters / 2 + 1);

    /// <summary>The next change to make, or null when the voter set is as wanted.</summary>
    /// <param name="members">All members.</param>
    /// <param name="master">The master's number (never removed).</param>
    /// <param name="maxVoters">Configured upper bound.</param>
    /// <param name="seated">The members in the master's Raft configuration.</param>
    public static VoterDecision? Decide(IEnumerable<MemberRecord> members, int master, int maxVoters, IReadOnlySet<int> seated)
    {
        var all = members.ToList();

        // A voter change takes two commits, Raft's and the member list's; a master that loses leadership
        // between them leaves the two disagreeing. A voter without a Raft seat hears no leader and never
        // has quorum, and nothing else would notice once it is UP again: settle such seats first.
        if (all.FirstOrDefault(m => m.IsVoter && m.Number != master && !seated.Contains(m.Number)) is { } unseated)
            return new VoterDecision(VoterChange.Demote, unseated);
        if (all.FirstOrDefault(m => !m.IsVoter && m.State == NodeState.Down && m.Number != master && seated.Contains(m.Number)) is { } deadSeat)
            return new VoterDecision(VoterChange.Remove, deadSeat);

        var voters = all.Where(m => m.IsVoter).ToList();
        var dead = voters.Where(m => m.State == NodeState.Down && m.Number != master).OrderBy(m => m.Number).ToList();
        // A member that already holds a seat goes first: promoting it only completes the member list.
        var spares = all.Where(m => !m.IsVoter && m.State == NodeState.Up)
            .OrderBy(m => seated.Contains(m.Number) ? 0 : 1).ThenBy(m => m.Number).ToList();
        var target = TargetVoters(all.Count(m => m.State != NodeState.Down), maxVoters);

        // A dead voter goes when someone can take its seat, or when dropping the dead seats lets the
        // group survive more failures (5 voters with 2 dead tolerate none; the 3 live ones alone tolerate one).
        var live = voters.Count(m => m.State != NodeState.Down);
        if (dead.Count > 0 && (spares.Count > 0 || Tolerance(live, live) > Tolerance(voters.Count, live)))
            return new VoterDecision(VoterChange.Remove, dead[0]);
        if (voters.Count < target && spares.Count > 0)
            return new VoterDecision(VoterChange.Promote, spares[0]);
        return null;
    }
}
