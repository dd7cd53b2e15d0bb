using System.Net;

namespace Ssi.Box;

/// <summary>
/// Addresses of box nodes, all inside 198.18.0.0/15 (RFC 2544, reserved for benchmarking, so
/// it never collides with a real network). Each box gets its own /24 picked by its index, so
/// several boxes can be up at once: box i, node k is 198.(18 + i / 256).(i % 256).k/24.
/// </summary>
public static class BoxAddressPlan
{
    /// <summary>How many boxes can exist at once (the /24s inside the /15).</summary>
    public const int MaxBoxes = 512;

    /// <summary>Most nodes one box can hold (.1 to .254 of its /24).</summary>
    public const int MaxNodes = 254;

    /// <summary>Prefix length of a box subnet.</summary>
    public const int PrefixLength = 24;

    /// <summary>The network address of box <paramref name="boxIndex"/>'s subnet.</summary>
    public static IPAddress Subnet(int boxIndex) => NodeAddress(boxIndex, 0, allowNetwork: true);

    /// <summary>The address of node <paramref name="node"/> (1-based) in box <paramref name="boxIndex"/>.</summary>
    public static IPAddress NodeAddress(int boxIndex, int node) => NodeAddress(boxIndex, node, allowNetwork: false);

    private static IPAddress NodeAddress(int boxIndex, int node, bool allowNetwork)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(boxIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(boxIndex, MaxBoxes);
        ArgumentOutOfRangeException.ThrowIfLessThan(node, allowNetwork ? 0 : 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(node, MaxNodes);
        return new IPAddress([198, (byte)(18 + boxIndex / 256), (byte)(boxIndex % 256), (byte)node]);
    }
}
