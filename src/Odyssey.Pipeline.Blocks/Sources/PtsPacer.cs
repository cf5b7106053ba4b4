using System.Runtime.CompilerServices;

namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// Paces a source by its items' timestamps, like <c>ffmpeg -re</c>: an item with timestamp <c>t</c> is
/// due <c>t - t0</c> after the first item (timestamp <c>t0</c>) went out. A late item goes at once and
/// the schedule is kept, so a stalled consumer is caught up with rather than skipped (a file has every
/// packet to deliver; a camera would skip — see <see cref="FramePacer"/>).
/// </summary>
internal sealed class PtsPacer : IDisposable
{
    private readonly TimeProvider _clock;
    private readonly PeriodicTimer _timer;
    private long _anchor;
    private TimeSpan _anchorTime;
    private bool _started;

    public PtsPacer(TimeProvider clock)
    {
        _clock = clock;

        // Re-armed before every wait; the first period only has to be valid.
        _timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1), clock);
    }

    /// <summary>Returns when the item stamped <paramref name="time"/> is due; the first call starts the clock.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WaitAsync(TimeSpan time, CancellationToken cancellationToken)
    {
        var now = _clock.GetTimestamp();
        if (!_started)
        {
            (_anchor, _anchorTime, _started) = (now, time, true);
            return;
        }

        var due = _anchor + (long)((time - _anchorTime).TotalSeconds * _clock.TimestampFrequency);

        // A tick left over from an earlier wait may end this one early: the loop checks the clock again.
        while (now < due)
        {
            // Rounded up: a timer truncates to whole milliseconds, and under 1 ms it refuses the period.
            _timer.Period = TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(_clock.GetElapsedTime(now, due).TotalMilliseconds)));
            if (!await _timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            now = _clock.GetTimestamp();
        }
    }

    public void Dispose() => _timer.Dispose();
}
