namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// Times on the RTP video clock. RTP video timestamps are whole ticks of a 90 kHz clock (RFC 3551 §5),
/// and one of them is 111.1 TimeSpan ticks: the jitter buffer turns them into a TimeSpan by truncating,
/// so the difference of two such times can be one TimeSpan tick away from the truncated difference.
/// A recording stores 90 kHz units (rounded) and reads them back truncated, i.e. the truncated
/// difference; a live pts rebased by subtracting TimeSpans could then replay one tick apart, and the
/// replay's records no longer equal the live run's. Rebasing in whole clock units keeps every pts on
/// the one grid both sides share.
/// </summary>
internal static class RtpClockTime
{
    /// <summary>RFC 3551 §5: the RTP clock of every video payload format we receive.</summary>
    public const long VideoClockRate = 90_000;

    /// <summary><paramref name="time"/> - <paramref name="origin"/> + <paramref name="offset"/>, computed in whole 90 kHz units.</summary>
    public static TimeSpan Rebase(TimeSpan time, TimeSpan origin, TimeSpan offset) =>
        FromUnits(ToUnits(time) - ToUnits(origin) + ToUnits(offset));

    /// <summary>
    /// The nearest whole clock unit: exact for any time a 90 kHz timestamp was converted to by
    /// truncation (the error is under one TimeSpan tick, far below half a unit).
    /// </summary>
    public static long ToUnits(TimeSpan time)
    {
        var scaled = (Int128)time.Ticks * VideoClockRate;
        var unit = (Int128)TimeSpan.TicksPerSecond;
        return (long)(scaled >= 0 ? (scaled + (unit / 2)) / unit : (scaled - (unit / 2)) / unit);
    }

    /// <summary>Truncated, as the jitter buffer and the container reader convert.</summary>
    public static TimeSpan FromUnits(long units) => TimeSpan.FromTicks((long)((Int128)units * TimeSpan.TicksPerSecond / VideoClockRate));
}
