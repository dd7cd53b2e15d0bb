using Ssi.Box.Tests.Infrastructure;

namespace Ssi.Box.Tests;

[Trait("Category", "Cluster")]
public class BoxLifecycleTests
{
    [Fact]
    public async Task Destroy_leaves_no_namespace_link_mount_process_or_directory()
    {
        string name = ClusterBox.NewUniqueName();
        int sleeper;
        await using (var box = await ClusterBox.CreateAsync(name, 3))
        {
            sleeper = box.Node(2).Start(new NodeCommand("sleeper", "sleep", ["1000"])).Pid;
            // A grandchild in its own session, which only a namespace scan can find.
            box.Node(3).Start(new NodeCommand("forker", "sh", ["-c", "setsid sleep 1000 & sleep 1000"]));
            string target = Path.Combine(box.Node(1).StateDirectory, "mnt");
            Directory.CreateDirectory(target);
            Assert.True((await box.Node(1).RunAsync("mount", "-t", "tmpfs", "x", target)).Succeeded);
            Assert.NotEmpty(Leftovers.Of(name));

            await box.DestroyAsync();
        }

        Assert.Empty(Leftovers.Of(name, pids: sleeper));
        Assert.DoesNotContain(ClusterBox.List(), b => b.Name == name);
    }

    [Fact]
    public async Task Destroying_twice_or_destroying_nothing_is_fine()
    {
        string name = ClusterBox.NewUniqueName();
        var box = await ClusterBox.CreateAsync(name, 1);

        await box.DestroyAsync();
        await box.DestroyAsync();
        await ClusterBox.DestroyAsync(ClusterBox.NewUniqueName());

        Assert.Empty(Leftovers.Of(name));
    }

    [Fact]
    public async Task A_box_is_listed_with_its_nodes_and_processes()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 2);
        box.Node(1).Start(new NodeCommand("sleeper", "sleep", ["1000"]));

        var status = Assert.Single(ClusterBox.List(), b => b.Name == box.Name);

        Assert.Equal(new BoxStatus(box.Name, box.Index, 2, OwnerAlive: true, Processes: 1), status);
        Assert.False(status.IsStale);
    }

    [Fact]
    public async Task A_box_left_by_a_crashed_run_is_cleaned_up_once_its_processes_are_dead()
    {
        string name = ClusterBox.NewUniqueName();
        try
        {
            var box = await ClusterBox.CreateAsync(name, 2);
            var sleeper = box.Node(2).Start(new NodeCommand("sleeper", "sleep", ["1000"]));
            // As after 'ssi up': the creator is gone, the box lives through its processes.
            box.ReleaseOwnership();

            Assert.DoesNotContain(name, await ClusterBox.CleanupStaleAsync());
            Assert.True(Directory.Exists(box.StateDirectory));

            await box.Node(2).KillAsync("sleeper");
            Assert.True(Assert.Single(ClusterBox.List(), b => b.Name == name).IsStale);

            Assert.Contains(name, await ClusterBox.CleanupStaleAsync());
            Assert.Empty(Leftovers.Of(name, pids: sleeper.Pid));
        }
        finally
        {
            await ClusterBox.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task A_box_whose_creator_is_alive_is_not_stale()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 1);

        Assert.DoesNotContain(box.Name, await ClusterBox.CleanupStaleAsync());

        Assert.True(Directory.Exists(box.StateDirectory));
    }

    [Fact]
    public async Task Creating_over_a_stale_box_replaces_it()
    {
        string name = ClusterBox.NewUniqueName();
        try
        {
            var stale = await ClusterBox.CreateAsync(name, 3);
            stale.ReleaseOwnership();

            await using var box = await ClusterBox.CreateAsync(name, 2);

            Assert.Equal(2, box.Nodes.Count);
            Assert.Equal(2, ClusterBox.Open(name).Nodes.Count);
            Assert.DoesNotContain(Leftovers.Of(name), l => l.Contains($"{name}-n3", StringComparison.Ordinal));
        }
        finally
        {
            await ClusterBox.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task Creating_a_box_that_is_up_fails()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 1);

        var error = await Assert.ThrowsAsync<BoxException>(() => ClusterBox.CreateAsync(box.Name, 1));

        Assert.Contains(box.Name, error.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(box.Node(1).StateDirectory));
    }

    [Fact]
    public async Task Open_finds_the_nodes_of_an_existing_box()
    {
        await using var box = await ClusterBox.CreateAsync(ClusterBox.NewUniqueName(), 3);

        var opened = ClusterBox.Open(box.Name);

        Assert.Equal(box.Index, opened.Index);
        Assert.Equal(box.Nodes.Select(n => (n.Number, n.Address, n.SocketPath)), opened.Nodes.Select(n => (n.Number, n.Address, n.SocketPath)));
        Assert.Throws<BoxException>(() => ClusterBox.Open(ClusterBox.NewUniqueName()));
    }
}
