using System.Text.Json;
using Ssi.Protocol;

namespace Ssi.Membership.Tests;

public sealed class MembershipStateTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static MembershipCommand Join(string name, bool? voter = null) =>
        new(CommandKind.Join, T0, Name: name, IcsAddress: $"127.0.0.1:{1000 + name.Length}", RaftAddress: "127.0.0.1:2000", Voter: voter);

    private static MembershipCommand Set(int node, NodeState to, string reason = "test") =>
        new(CommandKind.SetState, T0.AddSeconds(1), node, To: to, Reason: reason);

    [Fact]
    public void Numbers_are_assigned_1_to_N_in_join_order()
    {
        var state = new MembershipState();
        foreach (var name in new[] { "a", "b", "c" })
            state.Apply(Join(name));
        Assert.Equal([1, 2, 3], state.Members.Select(m => m.Number));
        Assert.Equal(["a", "b", "c"], state.Members.Select(m => m.Name));
        Assert.All(state.Members, m => Assert.Equal(NodeState.ComingUp, m.State));
    }

    [Fact]
    public void A_node_that_rejoins_with_the_same_name_keeps_its_number()
    {
        var state = new MembershipState();
        state.Apply(Join("a"));
        state.Apply(Join("b"));
        state.Apply(Set(1, NodeState.Down));
        var ev = state.Apply(Join("a"));

        Assert.Equal(1, state.FindByName("a")!.Number);
        Assert.Equal(2, state.LastNumber);
        Assert.Equal(new NodeEvent(state.Epoch, 1, "a", NodeState.Down, NodeState.ComingUp, T0, "rejoined"), ev);
    }

    [Fact]
    public void Numbers_of_departed_nodes_are_never_reused()
    {
        var state = new MembershipState();
        state.Apply(Join("a"));
        state.Apply(Join("b"));
        state.Apply(Set(2, NodeState.Down));
        state.Apply(Join("c"));
        Assert.Equal(3, state.FindByName("c")!.Number);
    }

    [Fact]
    public void Every_command_increments_the_epoch_and_events_carry_it()
    {
        var state = new MembershipState();
        var events = new List<NodeEvent?>
        {
            state.Apply(new MembershipCommand(CommandKind.Init, T0, ClusterName: "c", ClusterId: "id")),
            state.Apply(Join("a", voter: true)),
            state.Apply(Set(1, NodeState.Up)),
            state.Apply(Set(1, NodeState.Up)),
            state.Apply(new MembershipCommand(CommandKind.SetVoter, T0, 1, Voter: false)),
        };
        Assert.Equal(5, state.Epoch);
        Assert.Equal([null, 2L, 3L, null, null], events.Select(e => e?.Epoch));
        Assert.False(state.Find(1)!.IsVoter);
        Assert.Equal(T0.AddSeconds(1), state.Find(1)!.UpSince);
    }

    [Fact]
    public void Commands_about_unknown_nodes_are_no_ops_that_still_take_an_epoch()
    {
        var state = new MembershipState();
        Assert.Null(state.Apply(Set(9, NodeState.Down)));
        Assert.Null(state.Apply(new MembershipCommand(CommandKind.Join, T0)));
        Assert.Equal(2, state.Epoch);
        Assert.Empty(state.Members);
    }

    [Fact]
    public void Down_clears_uptime_and_up_sets_it_from_the_command_time()
    {
        var state = new MembershipState();
        state.Apply(Join("a"));
        state.Apply(Set(1, NodeState.Up));
        Assert.NotNull(state.Find(1)!.UpSince);
        state.Apply(Set(1, NodeState.Down));
        Assert.Null(state.Find(1)!.UpSince);
    }

    [Fact]
    public void A_snapshot_survives_json_and_restores_the_same_state()
    {
        var state = new MembershipState();
        state.Apply(new MembershipCommand(CommandKind.Init, T0, ClusterName: "c", ClusterId: "id"));
        state.Apply(Join("a", voter: true));
        state.Apply(Join("b"));
        state.Apply(Set(1, NodeState.Up));
        state.Apply(Set(2, NodeState.Down, "gone"));

        var json = JsonSerializer.SerializeToUtf8Bytes(state.ToSnapshot(), MembershipJson.Default.MembershipSnapshot);
        var restored = new MembershipState();
        restored.Restore(JsonSerializer.Deserialize(json, MembershipJson.Default.MembershipSnapshot)!);

        Assert.Equal(state.Epoch, restored.Epoch);
        Assert.Equal(state.LastNumber, restored.LastNumber);
        Assert.Equal(state.Members, restored.Members);
        Assert.Equal(state.RecentEvents, restored.RecentEvents);
        Assert.Equal("id", restored.ClusterId);

        // Both go on identically.
        Assert.Equal(state.Apply(Join("c")), restored.Apply(Join("c")));
    }

    [Fact]
    public void Event_history_is_bounded()
    {
        var state = new MembershipState();
        state.Apply(Join("a"));
        for (var i = 0; i < MembershipState.EventHistory + 10; i++)
            state.Apply(Set(1, i % 2 == 0 ? NodeState.Up : NodeState.Down));
        Assert.Equal(MembershipState.EventHistory, state.RecentEvents.Count());
        Assert.Equal(state.Epoch, state.RecentEvents.Last().Epoch);
    }
}
