namespace Odyssey.WebRtc.Tests.Sctp;

/// <summary>
/// A virtual clock for single-threaded protocol tests: time stands still until the test moves it to the
/// next armed timer, which then fires on the test's thread. No test waits for a real RTO.
/// </summary>
internal sealed class ManualTime : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private long _now;

    public TimeSpan Elapsed => TimeSpan.FromTicks(_now);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        _timers.Add(timer);
        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan by) => _now += by.Ticks;

    /// <summary>Moves the clock to the earliest armed timer and fires it; false when none is armed.</summary>
    public bool FireNext()
    {
        ManualTimer? next = null;
        foreach (var timer in _timers)
        {
            if (timer.DueAt != long.MaxValue && (next is null || timer.DueAt < next.DueAt))
            {
                next = timer;
            }
        }

        if (next is null)
        {
            return false;
        }

        _now = Math.Max(_now, next.DueAt);
        next.DueAt = long.MaxValue;
        next.Callback(next.State);
        return true;
    }

    private sealed class ManualTimer(ManualTime clock, TimerCallback callback, object? state) : ITimer
    {
        public long DueAt { get; set; } = long.MaxValue;

        public TimerCallback Callback => callback;

        public object? State => state;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            DueAt = dueTime == Timeout.InfiniteTimeSpan ? long.MaxValue : clock._now + Math.Max(0, dueTime.Ticks);
            return true;
        }

        public void Dispose()
        {
            DueAt = long.MaxValue;
            clock._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
