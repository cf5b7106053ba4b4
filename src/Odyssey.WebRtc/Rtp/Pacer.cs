namespace Odyssey.WebRtc.Rtp;

/// <summary>
/// A token bucket in bytes: the budget refills at <see cref="BytesPerSecond"/> up to the burst limit,
/// and a packet goes out only when the budget covers it. Spreads a keyframe's packets over time
/// instead of bursting them into the network (where a small router queue would drop the tail).
/// </summary>
internal sealed class Pacer
{
    private readonly int _burstBytes;
    private double _budget;
    private TimeSpan _lastRefill;
    private bool _started;

    /// <param name="bytesPerSecond">Sending rate; 0 or less sends everything at once (unpaced).</param>
    /// <param name="burstBytes">The most that may leave back to back; at least one packet.</param>
    public Pacer(long bytesPerSecond, int burstBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(burstBytes, 1);
        BytesPerSecond = bytesPerSecond;
        _burstBytes = burstBytes;
        _budget = burstBytes;
    }

    /// <summary>The sending rate; may change at any time (e.g. after a REMB).</summary>
    public long BytesPerSecond { get; set; }

    /// <summary>Spends <paramref name="bytes"/> if the budget allows it now.</summary>
    public bool TryConsume(int bytes, TimeSpan now)
    {
        if (BytesPerSecond <= 0)
        {
            return true;
        }

        Refill(now);

        // A packet larger than the whole burst still goes once the bucket is full, or it never would.
        if (_budget < Math.Min(bytes, _burstBytes))
        {
            return false;
        }

        _budget -= bytes;
        return true;
    }

    /// <summary>How long until <paramref name="bytes"/> can be sent; zero when now.</summary>
    public TimeSpan TimeUntilAvailable(int bytes, TimeSpan now)
    {
        if (BytesPerSecond <= 0)
        {
            return TimeSpan.Zero;
        }

        Refill(now);
        var missing = Math.Min(bytes, _burstBytes) - _budget;
        return missing <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)Math.Ceiling(missing * TimeSpan.TicksPerSecond / BytesPerSecond));
    }

    private void Refill(TimeSpan now)
    {
        if (!_started)
        {
            _started = true;
            _lastRefill = now;
            return;
        }

        var elapsed = now - _lastRefill;
        if (elapsed > TimeSpan.Zero)
        {
            _budget = Math.Min(_burstBytes, _budget + (elapsed.TotalSeconds * BytesPerSecond));
            _lastRefill = now;
        }
    }
}
