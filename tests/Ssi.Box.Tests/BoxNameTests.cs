namespace Ssi.Box.Tests;

public class BoxNameTests
{
    [Theory]
    [InlineData("ssi")]
    [InlineData("t012345678")]
    [InlineData("a")]
    public void Short_lower_case_names_are_valid(string name) => Assert.True(ClusterBox.IsValidName(name));

    [Theory]
    [InlineData("")]
    [InlineData("toolongname")]
    [InlineData("1abc")]
    [InlineData("a-b")]
    [InlineData("Ssi")]
    [InlineData("a b")]
    public void Names_that_would_break_interface_names_or_prefixes_are_invalid(string name) =>
        Assert.False(ClusterBox.IsValidName(name));

    [Fact]
    public void Unique_names_are_valid_and_differ()
    {
        var names = Enumerable.Range(0, 100).Select(_ => ClusterBox.NewUniqueName()).ToList();
        Assert.All(names, n => Assert.True(ClusterBox.IsValidName(n), n));
        Assert.All(names, n => Assert.StartsWith("t", n, StringComparison.Ordinal));
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void Interface_names_fit_in_fifteen_characters()
    {
        string longest = new('z', ClusterBox.MaxNameLength);
        Assert.True($"{longest}-n{BoxAddressPlan.MaxNodes}".Length <= 15);
    }
}
