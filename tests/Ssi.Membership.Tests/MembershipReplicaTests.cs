using Ssi.Protocol;

namespace Ssi.Membership.Tests;

public sealed class MembershipReplicaTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static List<MembershipCommand> Commands() =>
    [
        new(CommandKind.Join, T0, Name: "a", IcsAddress: "127.0.0.1:1", RaftAddress: "127.0.0.1:2"),
        new(CommandKind.SetState, T0, 1, To: NodeState.Up),
        new(CommandKind.Join, T0, Name: "b", IcsAddress: "127.0.0.1:3", RaftAddress: "127.0.0.1:4"),
        new(CommandKind.SetState, T0, 2, To: NodeState.Up),
        new(CommandKind.SetState, T0, 2, To: NodeState.Down, Reason: "dead"),
    ];

    [Fact]
    public void Commands_apply_only_in_epoch_order()
    {
        var replica = new MembershipReplica();
        var commands = Commands();
        Assert.Equal(MembershipReplica.ApplyResult.Applied, replica.TryApply(1, commands[0]));
        Assert.Equal(MembershipReplica.ApplyResult.Duplicate, replica.TryApply(1, commands[0]));
        Assert.Equal(MembershipReplica.ApplyResult.Gap, replica.TryApply(3, commands[2]));
        Assert.Equal(1, replica.Epoch);
    }

    [Fact]
    public async Task A_watcher_gets_the_backlog_then_live_events_without_gaps_or_duplicates()
    {
        var replica = new MembershipReplica();
        var commands = Commands();
        replica.TryApply(1, commands[0]);
        replica.TryApply(2, commands[1]);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seen = new List<long>();
        var watching = Task.Run(async () =>
        {
            await foreach (var ev in replica.WatchAsync(0, cts.Token))
            {
                seen.Add(ev.Epoch);
                if (ev.Epoch == 5)
                    break;
            }
        });
        for (var i = 2; i < commands.Count; i++)
            replica.TryApply(i + 1, commands[i]);
        await watching;
        Assert.Equal([1L, 2, 3, 4, 5], seen);
    }

    [Fact]
    public async Task Catching_up_from_a_snapshot_delivers_the_missed_events()
    {
        var source = new MembershipState();
        foreach (var c in Commands())
            source.Apply(c);
        var replica = new MembershipReplica();
        replica.TryApply(1, Commands()[0]);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seen = new List<NodeEvent>();
        var after = replica.Epoch;
        var watching = Task.Run(async () =>
        {
            await foreach (var ev in replica.WatchAsync(after, cts.Token))
            {
                seen.Add(ev);
                if (ev.Epoch == 5)
                    break;
            }
        });
        await Task.Delay(50);
        Assert.True(replica.TryCatchUp(source.ToSnapshot()));
        Assert.False(replica.TryCatchUp(source.ToSnapshot()));
        await watching;
        Assert.Equal([2L, 3, 4, 5], seen.Select(e => e.Epoch));
        Assert.Equal(NodeState.Down, seen[^1].To);
    }
}
