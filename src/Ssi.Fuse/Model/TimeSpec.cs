namespace Ssi.Fuse;

/// <summary>A point in time as seconds and nanoseconds since the Unix epoch.</summary>
/// <param name="Seconds">Whole seconds since 1970-01-01T00:00:00Z.</param>
/// <param name="Nanoseconds">Nanoseconds within the second (0..999,999,999).</param>
public readonly record struct TimeSpec(long Seconds, uint Nanoseconds)
{
    /// <summary>Converts a <see cref="DateTimeOffset"/> (100 ns resolution).</summary>
    public static TimeSpec FromDateTimeOffset(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }
        return new TimeSpec(seconds, (uint)(rest * 100));
    }

    /// <summary>The current time.</summary>
    public static TimeSpec Now => FromDateTimeOffset(DateTimeOffset.UtcNow);

    /// <summary>Converts to a <see cref="DateTimeOffset"/> (truncated to 100 ns).</summary>
    public DateTimeOffset ToDateTimeOffset() =>
        DateTimeOffset.UnixEpoch.AddTicks(Seconds * TimeSpan.TicksPerSecond + Nanoseconds / 100);
}
