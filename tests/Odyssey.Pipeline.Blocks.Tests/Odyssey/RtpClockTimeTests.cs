using CsCheck;
using Odyssey.Pipeline.Blocks;

namespace Odyssey.Pipeline.Blocks.Tests.OdysseySource;

/// <summary>
/// The odyssey source's timestamps survive a recording: rebased in 90 kHz units, a live pts equals what
/// the record sink writes (rounded to 90 kHz) and the file source reads back (truncated).
/// </summary>
public sealed class RtpClockTimeTests
{
    [Fact]
    public void Rebase_OriginOffTheTickGrid_GivesTheTimeARecordingReplays()
    {
        // The jitter buffer's first frame at 0; the stream begins 5 units on, the frame is 10 units on.
        // TimeSpans: 555 and 1111 ticks (555.5, 1111.1 truncated), whose difference is 556: one tick
        // more than the 555 that 5 units read back from a 90 kHz container.
        var live = RtpClockTime.Rebase(JitterBufferTime(10, 0), JitterBufferTime(5, 0), TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromTicks(555), live);
        Assert.Equal(live, ThroughRecording(live));
    }

    [Fact]
    public void Rebase_AnyFramesAndOrigins_EqualsTheRecordedAndReplayedTime()
    {
        Gen.Select(Gen.Long[0, uint.MaxValue], Gen.Long[0, 1L << 31], Gen.Long[0, 1L << 31], Gen.Long[0, 1L << 31])
            .Sample((firstFrame, toStart, toFrame, offsetUnits) =>
            {
                var start = firstFrame + toStart;
                var frame = start + toFrame;
                var offset = RtpClockTime.FromUnits(offsetUnits);
                var live = RtpClockTime.Rebase(JitterBufferTime(frame, firstFrame), JitterBufferTime(start, firstFrame), offset);

                Assert.Equal(RtpClockTime.FromUnits(toFrame + offsetUnits), live);
                Assert.Equal(live, ThroughRecording(live));
            });
    }

    [Fact]
    public void Rebase_AlreadyOnTheGrid_IsPlainSubtraction()
    {
        var step = RtpClockTime.FromUnits(3000);

        Assert.Equal(step, RtpClockTime.Rebase(RtpClockTime.FromUnits(6000), step, TimeSpan.Zero));
        Assert.Equal(TimeSpan.Zero, RtpClockTime.Rebase(step, step, TimeSpan.Zero));
    }

    /// <summary>What the jitter buffer stamps on a frame: time since its first frame, truncated to TimeSpan ticks.</summary>
    private static TimeSpan JitterBufferTime(long timestamp, long firstTimestamp) =>
        TimeSpan.FromTicks((timestamp - firstTimestamp) * TimeSpan.TicksPerSecond / RtpClockTime.VideoClockRate);

    /// <summary>MediaFileWriter stores the nearest 90 kHz unit; MediaFileReader converts it back truncating.</summary>
    private static TimeSpan ThroughRecording(TimeSpan pts)
    {
        var scaled = (Int128)pts.Ticks * RtpClockTime.VideoClockRate;
        var stored = (long)((scaled + (TimeSpan.TicksPerSecond / 2)) / TimeSpan.TicksPerSecond);
        return TimeSpan.FromTicks((long)((Int128)stored * TimeSpan.TicksPerSecond / RtpClockTime.VideoClockRate));
    }
}
