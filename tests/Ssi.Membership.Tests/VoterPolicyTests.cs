using Ssi.Protocol;

namespace Ssi.Membership.Tests;

public sealed class VoterPolicyTests
{
    private static MemberRecord M(int n, NodeState state = NodeState.Up, bool voter = false) =>
        new(n, $"n{n}", $"127.0.0.1:{n}", $"127.0.0.1:{1000 + n}", state, voter, null, default);

    // The usual case: the Raft configuration holds exactly the voters of the member list.
    private static VoterDecision? Decide(IEnumerable<MemberRecord> members, int master) =>
        VoterPolicy.Decide(members, master, maxVoters: 5, members.Where(m => m.IsVoter).Select(m => m.Number).ToHashSet());

    [Theory]
    [InlineData(1, 5, 1)]
    [InlineData(2, 5, 1)]
    [InlineData(3, 5, 3)]
    [InlineData(4, 5, 3)]
    [InlineData(5, 5, 5)]
    [InlineData(16, 5, 5)]
    [InlineData(16, 3, 3)]
    [InlineData(16, 7, 7)]
    [InlineData(16, 6, 5)]
    public void The_voter_count_is_odd_and_bounded(int live, int max, int expected) =>
        Assert.Equal(expected, VoterPolicy.TargetVoters(live, max));

    [Fact]
    public void A_growing_cluster_promotes_the_lowest_numbered_member()
    {
        var decision = Decide([M(1, voter: true), M(2), M(3)], master: 1);
        Assert.Equal(new VoterDecision(VoterChange.Promote, M(2)), decision);
    }

    [Fact]
    public void Members_that_are_not_up_are_not_promoted()
    {
        var decision = Decide([M(1, voter: true), M(2, NodeState.ComingUp), M(3, NodeState.ComingUp)], master: 1);
        Assert.Null(decision);
    }

    [Fact]
    public void A_full_voter_set_is_left_alone()
    {
        var members = Enumerable.Range(1, 5).Select(n => M(n, voter: true)).Concat([M(6), M(7)]);
        Assert.Null(Decide(members, master: 1));
    }

    [Fact]
    public void A_dead_voter_is_removed_when_a_member_can_take_its_seat_then_the_member_is_promoted()
    {
        var members = new List<MemberRecord> { M(1, voter: true), M(2, NodeState.Down, voter: true), M(3, voter: true), M(4, voter: true), M(5, voter: true), M(6), M(7) };
        Assert.Equal(new VoterDecision(VoterChange.Remove, members[1]), Decide(members, master: 1));

        members[1] = members[1] with { IsVoter = false };
        Assert.Equal(new VoterDecision(VoterChange.Promote, M(6)), Decide(members, master: 1));
    }

    [Fact]
    public void A_dead_voter_without_replacement_keeps_its_seat_unless_dropping_dead_seats_adds_tolerance()
    {
        // 3 voters, 1 dead, no spare: 2 of 3 or 2 of 2 both tolerate no further failure; no churn.
        var three = new[] { M(1, voter: true), M(2, NodeState.Down, voter: true), M(3, voter: true), M(4, NodeState.Down) };
        Assert.Null(Decide(three, master: 1));
        // 5 voters, 1 dead: 4 of 5 tolerate one more, as 4 of 4 would: keep the seat for when it returns.
        var fiveOneDead = new[] { M(1, voter: true), M(2, NodeState.Down, voter: true), M(3, voter: true), M(4, voter: true), M(5, voter: true) };
        Assert.Null(Decide(fiveOneDead, master: 1));
        // 5 voters, 2 dead: 3 of 5 tolerate none; 3 of 3 tolerate one: remove the dead seats.
        var fiveTwoDead = new[] { M(1, voter: true), M(2, NodeState.Down, voter: true), M(3, NodeState.Down, voter: true), M(4, voter: true), M(5, voter: true) };
        Assert.Equal(new VoterDecision(VoterChange.Remove, fiveTwoDead[1]), Decide(fiveTwoDead, master: 1));
        var fourOneDead = new[] { M(1, voter: true), M(3, NodeState.Down, voter: true), M(4, voter: true), M(5, voter: true) };
        Assert.Equal(VoterChange.Remove, Decide(fourOneDead, master: 1)!.Change);
    }

    [Theory]
    [InlineData(3, 3, 1)]
    [InlineData(3, 2, 0)]
    [InlineData(5, 3, 0)]
    [InlineData(4, 3, 0)]
    [InlineData(3, 1, -1)]
    public void Tolerance_counts_further_failures_a_voter_set_survives(int voters, int live, int expected) =>
        Assert.Equal(expected, VoterPolicy.Tolerance(voters, live));

    [Fact]
    public void The_master_is_never_removed()
    {
        var members = new[] { M(1, NodeState.Down, voter: true), M(2, voter: true), M(3, voter: true), M(4) };
        Assert.NotEqual(VoterChange.Remove, Decide(members, master: 1)?.Change);
    }

    [Fact]
    public void A_voter_without_a_Raft_seat_is_demoted_even_when_up()
    {
        // Node 2's removal committed in Raft, then the master lost leadership before the member list followed.
        var members = Enumerable.Range(1, 5).Select(n => M(n, voter: true)).ToList();
        var decision = VoterPolicy.Decide(members, master: 3, maxVoters: 5, new HashSet<int> { 1, 3, 4, 5 });
        Assert.Equal(new VoterDecision(VoterChange.Demote, members[1]), decision);

        // Demoted, it is the member that gets the free seat.
        members[1] = members[1] with { IsVoter = false };
        Assert.Equal(new VoterDecision(VoterChange.Promote, members[1]), VoterPolicy.Decide(members, master: 3, maxVoters: 5, new HashSet<int> { 1, 3, 4, 5 }));
    }

    [Fact]
    public void A_member_with_a_Raft_seat_is_promoted_first_and_a_dead_one_loses_its_seat()
    {
        // A promotion committed in Raft but not in the member list: finish it rather than seat someone else.
        var members = new List<MemberRecord> { M(1, voter: true), M(2, voter: true), M(3, voter: true), M(4), M(5) };
        Assert.Equal(new VoterDecision(VoterChange.Promote, M(5)), VoterPolicy.Decide(members, master: 1, maxVoters: 5, new HashSet<int> { 1, 2, 3, 5 }));

        members[4] = M(5, NodeState.Down);
        Assert.Equal(new VoterDecision(VoterChange.Remove, members[4]), VoterPolicy.Decide(members, master: 1, maxVoters: 5, new HashSet<int> { 1, 2, 3, 5 }));
    }
}
