namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>
/// A virtual clock whose timers fire at once and move the clock forward by their due time, cut to whole
/// milliseconds as the system timer does: pacing is checked exactly, without waiting or timing.
/// </summary>
internal sealed class SteppingClock : TimeProvider
{
    private long _now;

    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _now));

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _now);

    /// <summary>Armed but not fired: only <see cref="ITimer.Change"/> (a wait) moves the clock.</summary>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new SteppingTimer(this, callback, state);

    private sealed class SteppingTimer(SteppingClock clock, TimerCallback callback, object? state) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                return true;
            }

            var wholeMilliseconds = (long)dueTime.TotalMilliseconds;
            Interlocked.Add(ref clock._now, wholeMilliseconds * TimeSpan.TicksPerMillisecond);
            callback(state);
            return true;
        }

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
