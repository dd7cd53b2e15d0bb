using Ssi.Vproc.Service;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Tests;

public class ProcessRecordsTests
{
    private static ProcessRecord Running(int cpid, int node) =>
        new(cpid, 1, node, cpid, 0, ProcessState.Running, null, ["sleep", "1"], DateTimeOffset.UtcNow, "node 1");

    [Fact]
    public void The_first_report_of_an_end_wins()
    {
        var records = new ProcessRecords(TimeSpan.FromMinutes(1));
        records.Add(Running(1_000_001, 2));

        Assert.True(records.End(1_000_001, new ExitInfo(0, 0, null)));
        Assert.False(records.End(1_000_001, new ExitInfo(ExitCodes.NodeFailure, 0, "node 2 failed")));
        Assert.Equal(0, records.Find(1_000_001)!.Exit!.Code);
    }

    [Fact]
    public void A_dead_node_ends_only_what_ran_there_with_the_node_failure_status()
    {
        var records = new ProcessRecords(TimeSpan.FromMinutes(1));
        records.Add(Running(1_000_001, 2));
        records.Add(Running(1_000_002, 3));
        records.Add(Running(1_000_003, 2));
        records.End(1_000_003, new ExitInfo(7, 0, null));

        var ended = records.EndAllOn(2, new ExitInfo(ExitCodes.NodeFailure, 0, "node 2 failed"));

        Assert.Equal([1_000_001], ended);
        Assert.Equal(ExitCodes.NodeFailure, records.Find(1_000_001)!.Exit!.Code);
        Assert.Equal(ProcessState.Running, records.Find(1_000_002)!.State);
        Assert.Equal(7, records.Find(1_000_003)!.Exit!.Code);
    }

    [Fact]
    public void Ended_records_are_forgotten_after_a_while_running_ones_never()
    {
        var records = new ProcessRecords(TimeSpan.Zero);
        records.Add(Running(1_000_001, 2));
        records.Add(Running(1_000_002, 2));
        records.End(1_000_001, new ExitInfo(0, 0, null));
        Thread.Sleep(5);

        Assert.Null(records.Find(1_000_001));
        Assert.NotNull(records.Find(1_000_002));
    }
}
