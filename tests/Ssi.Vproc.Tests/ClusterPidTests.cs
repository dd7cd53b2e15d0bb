using CsCheck;
using Ssi.Vproc;

namespace Ssi.Vproc.Tests;

public class ClusterPidTests
{
    [Fact]
    public void The_origin_node_is_read_from_the_high_digits() =>
        Assert.Equal((2, 17, "2000017"), (ClusterPid.Of(2, 17).Origin, ClusterPid.Of(2, 17).Counter, ClusterPid.Of(2, 17).ToString()));

    [Fact]
    public void Numbers_of_different_nodes_never_collide() =>
        Gen.Select(Gen.Int[1, 2146], Gen.Int[1, 999_999], Gen.Int[1, 2146], Gen.Int[1, 999_999])
            .Where((n1, c1, n2, c2) => (n1, c1) != (n2, c2))
            .Sample((n1, c1, n2, c2) => ClusterPid.Of(n1, c1) != ClusterPid.Of(n2, c2));

    [Theory]
    [InlineData("1000001", true)]
    [InlineData("1000000", false)]
    [InlineData("999999", false)]
    [InlineData("-1000001", false)]
    [InlineData("abc", false)]
    public void Only_numbers_a_node_could_assign_parse(string text, bool valid) =>
        Assert.Equal(valid, ClusterPid.TryParse(text, out _));

    [Fact]
    public void The_counter_survives_a_restart_without_reusing_a_number()
    {
        var dir = Directory.CreateTempSubdirectory("vproc-pids").FullName;
        try
        {
            var first = new ClusterPidAllocator(dir, 3);
            var before = Enumerable.Range(0, 5).Select(_ => first.Next()).ToList();
            var second = new ClusterPidAllocator(dir, 3);
            var after = second.Next();

            Assert.All(before, p => Assert.Equal(3, p.Origin));
            Assert.Equal([1, 2, 3, 4, 5], before.Select(p => p.Counter));
            Assert.True(after.Counter > before[^1].Counter, $"{after} reuses a number given out before the restart");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Numbers_still_in_use_are_skipped()
    {
        var dir = Directory.CreateTempSubdirectory("vproc-pids").FullName;
        try
        {
            var allocator = new ClusterPidAllocator(dir, 1);
            Assert.Equal(1_000_003, allocator.Next(p => p.Counter < 3).Value);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
