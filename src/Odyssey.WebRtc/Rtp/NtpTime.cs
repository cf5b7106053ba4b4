namespace Odyssey.WebRtc.Rtp;

/// <summary>64-bit NTP timestamps (RFC 3550 §4: seconds since 1900 in 32.32 fixed point).</summary>
public static class NtpTime
{
    private static readonly DateTime Epoch = new(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The NTP timestamp of <paramref name="utc"/>.</summary>
    public static ulong FromDateTime(DateTime utc)
    {
        var ticks = (ulong)(utc.ToUniversalTime() - Epoch).Ticks;
        var seconds = ticks / TimeSpan.TicksPerSecond;
        var fraction = ((ticks % TimeSpan.TicksPerSecond) << 32) / TimeSpan.TicksPerSecond;
        return (seconds << 32) | fraction;
    }

    /// <summary>The middle 32 bits (16.16 fixed point) that LSR and DLSR use (RFC 3550 §6.4.1).</summary>
    public static uint Middle32(ulong ntp) => (uint)(ntp >> 16);

    /// <summary>A duration in the 1/65536 s units of DLSR and RTT arithmetic.</summary>
    public static uint ToShortUnits(TimeSpan duration) => duration <= TimeSpan.Zero ? 0 : (uint)Math.Min(uint.MaxValue, duration.Ticks * 65536 / TimeSpan.TicksPerSecond);

    /// <summary>A duration from 1/65536 s units.</summary>
    public static TimeSpan FromShortUnits(uint units) => TimeSpan.FromTicks(units * TimeSpan.TicksPerSecond / 65536);
}
