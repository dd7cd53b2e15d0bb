using System.Globalization;

namespace Ssi.Daemon;

/// <summary>This machine's 1-minute load average, from /proc/loadavg.</summary>
internal static class LoadAverage
{
    public static double? Read()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            var first = text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal));
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
