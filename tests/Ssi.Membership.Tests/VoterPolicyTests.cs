using Ssi.Protocol;

namespace Ssi.Membership.Tests;

public sealed class VoterPolicyTests
{
    private static MemberRecord M(int n, NodeState state = NodeState.Up, bool voter = false) =>
        new(n, $"n{n}", $"127.0.0.1:{n}", $"127.0.0.1:{1000 + n}", state, voter, null, default);

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
        var decision = VoterPolicy.Decide([M(1, voter: true), M(2), M(3)], master: 1, maxVoters: 5);
        Assert.Equal(new VoterDecision(VoterChange.Promote, M(2)), decision);
    }

    [Fact]
    public void Members_that_are_not_up_are_not_promoted()
    {
        var decision = VoterPolicy.Decide([M(1, voter: true), M(2, NodeState.ComingUp), M(3, NodeState.ComingUp)], master: 1, maxVoters: 5);
        Assert.Null(decision);
    }

    [Fact]
    public void A_full_voter_set_is_left_alone()
    {
        var members = Enumerable.Range(1, 5).Select(n => M(n, voter: true)).Concat([M(6), M(7)]);
        Assert.Null(VoterPolicy.Decide(members, master: 1, maxVoters: 5));
    }

    [Fact]
    public void A_dead_voter_is_removed_when_a_member_can_take_its_seat_then_the_member_is_promoted()
    {
        var members = new List<MemberRecord> { M(1, voter: true), M(2, NodeState.Down, voter: true), M(3, voter: true), M(4, voter: true), M(5, voter: true), M(6), M(7) };
        Assert.Equal(new VoterDecision(VoterChange.Remove, members[1]), VoterPolicy.Decide(members, master: 1, maxVoters: 5));

        members[1] = members[1] with { IsVoter = false };
        Assert.Equal(new VoterDecision(VoterChange.Promote, M(6)), VoterPolicy.Decide(members, master: 1, maxVoters: 5));
    }

    [Fact]
    public void A_dead_voter_without_replacement_stays_while_the_voter_set_is_not_too_large()
    {
        var members = new[] { M(1, voter: true), M(2, NodeState.Down, voter: true), M(3, voter: true), M(4) };
        // Three live nodes want three voters: the dead one keeps its seat until node 4 is UP... which it is: replace.
        Assert.Equal(VoterChange.Remove, VoterPolicy.Decide(members, 1, 5)!.Change);
        var noSpare = new[] { M(1, voter: true), M(2, NodeState.Down, voter: true), M(3, voter: true), M(4, NodeState.Down) };
        // Two live nodes want one voter; three seats are too many: the dead one goes.
        Assert.Equal(VoterChange.Remove, VoterPolicy.Decide(noSpare, 1, 5)!.Change);
        var balanced = new[] { M(1, voter: true), M(2, NodeState.Down, voter: true), M(3, voter: true), M(4, voter: true), M(5, voter: true), M(6, NodeState.Down) };
        // Four live nodes want three voters, five seats: remove the dead voter.
        Assert.Equal(VoterChange.Remove, VoterPolicy.Decide(balanced, 1, 5)!.Change);
    }

    [Fact]
    public void The_master_is_never_removed()
    {
        var members = new[] { M(1, NodeState.Down, voter: true), M(2, voter: true), M(3, voter: true), M(4) };
        Assert.NotEqual(VoterChange.Remove, VoterPolicy.Decide(members, master: 1, maxVoters: 5)?.Change);
    }
}
