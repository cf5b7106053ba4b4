using System.Runtime.CompilerServices;

namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// Paces a source to a frame rate by the wall clock: frame <c>n</c> is due <c>n / fps</c> after the
/// first. Each wait aims at that absolute deadline, so the rate is exact on average even though timers
/// count whole milliseconds (a fixed 1.67 ms period would run as 1 ms, 600 fps as 1000; 33.3 ms as 33).
/// </summary>
/// <remarks>
/// When the consumer held the source back by more than a frame, the schedule restarts at the late
/// frame: like a camera, the source skips the missed slots instead of bursting to catch up.
/// </remarks>
internal sealed class FramePacer : IDisposable
{
    private readonly TimeProvider _clock;
    private readonly double _period;
    private readonly PeriodicTimer _timer;
    private long _anchor;
    private long _anchorIndex;
    private bool _started;

    public FramePacer(double fps, TimeProvider clock)
    {
        _clock = clock;
        _period = clock.TimestampFrequency / fps;

        // Re-armed before every wait; the first period only has to be a valid one (at least 1 ms).
        _timer = new PeriodicTimer(WholeMilliseconds(TimeSpan.FromSeconds(1 / fps)), clock);
    }

    /// <summary>Returns when frame <paramref name="index"/> is due; the first call starts the clock and returns at once.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WaitAsync(long index, CancellationToken cancellationToken)
    {
        var now = _clock.GetTimestamp();
        if (!_started)
        {
            (_anchor, _anchorIndex, _started) = (now, index, true);
            return;
        }

        var due = _anchor + (long)Math.Round((index - _anchorIndex) * _period);
        if (now - due > _period)
        {
            (_anchor, _anchorIndex) = (now, index);
            return;
        }

        // A tick left over from an earlier wait may end this one early: the loop checks the clock again.
        while (now < due)
        {
            _timer.Period = WholeMilliseconds(_clock.GetElapsedTime(now, due));
            if (!await _timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            now = _clock.GetTimestamp();
        }
    }

    public void Dispose() => _timer.Dispose();

    /// <summary>Rounded up: a timer truncates to whole milliseconds, and under 1 ms it refuses the period.</summary>
    private static TimeSpan WholeMilliseconds(TimeSpan wait) => TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(wait.TotalMilliseconds)));
}
