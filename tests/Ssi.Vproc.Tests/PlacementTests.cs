using Ssi.Vproc.Service;

namespace Ssi.Vproc.Tests;

public sealed class PlacementTests
{
    [Fact]
    public void The_node_with_the_clearly_lowest_load_is_chosen_whatever_its_jobs()
    {
        var loads = new[] { new NodeLoad(1, 3.0, 0), new NodeLoad(2, 0.4, 5), new NodeLoad(3, 2.9, 0) };
        Assert.Equal(2, Placement.Choose(loads, localNode: 1));
    }

    [Fact]
    public void Loads_read_a_moment_apart_on_one_machine_count_as_equal_and_jobs_decide()
    {
        // Nodes of a box share one loadavg; node 1 read it just after it ticked down.
        var loads = new[] { new NodeLoad(1, 1.04, 1), new NodeLoad(2, 1.16, 1), new NodeLoad(3, 1.21, 0) };
        Assert.Equal(3, Placement.Choose(loads, localNode: 1));
    }

    [Fact]
    public void The_band_grows_with_the_load()
    {
        var loads = new[] { new NodeLoad(1, 20.0, 3), new NodeLoad(2, 21.5, 0) };
        Assert.Equal(2, Placement.Choose(loads, localNode: 1));
        var apart = new[] { new NodeLoad(1, 20.0, 3), new NodeLoad(2, 23.0, 0) };
        Assert.Equal(1, Placement.Choose(apart, localNode: 1));
    }

    [Fact]
    public void On_a_tie_the_local_node_then_the_lowest_number_wins()
    {
        var loads = new[] { new NodeLoad(1, 0.0, 0), new NodeLoad(2, 0.0, 0), new NodeLoad(3, 0.0, 0) };
        Assert.Equal(3, Placement.Choose(loads, localNode: 3));
        Assert.Equal(1, Placement.Choose(loads, localNode: 4));
    }

    [Fact]
    public void With_no_node_reporting_the_job_stays_here()
    {
        Assert.Equal(2, Placement.Choose([], localNode: 2));
    }
}
