using System.Net;

namespace Ssi.Box.Tests;

public class BoxAddressPlanTests
{
    [Theory]
    [InlineData(0, 1, "198.18.0.1")]
    [InlineData(0, 254, "198.18.0.254")]
    [InlineData(7, 3, "198.18.7.3")]
    [InlineData(255, 2, "198.18.255.2")]
    [InlineData(256, 1, "198.19.0.1")]
    [InlineData(511, 9, "198.19.255.9")]
    public void Each_box_has_its_own_slash24_inside_198_18_slash15(int box, int node, string expected)
    {
        Assert.Equal(IPAddress.Parse(expected), BoxAddressPlan.NodeAddress(box, node));
    }

    [Fact]
    public void The_subnet_is_the_network_address_of_the_box()
    {
        Assert.Equal(IPAddress.Parse("198.19.1.0"), BoxAddressPlan.Subnet(257));
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(512, 1)]
    [InlineData(0, 0)]
    [InlineData(0, 255)]
    public void Addresses_outside_the_plan_are_refused(int box, int node)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BoxAddressPlan.NodeAddress(box, node));
    }
}
