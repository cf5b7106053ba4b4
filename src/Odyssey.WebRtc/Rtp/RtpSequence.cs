namespace Odyssey.WebRtc.Rtp;

/// <summary>Arithmetic on 16-bit RTP sequence numbers and 32-bit timestamps, which wrap.</summary>
public static class RtpSequence
{
    /// <summary>True when <paramref name="a"/> comes after <paramref name="b"/> (within half the number space).</summary>
    public static bool IsNewer(ushort a, ushort b) => a != b && (short)(a - b) > 0;

    /// <summary>True when timestamp <paramref name="a"/> comes after <paramref name="b"/> (within half the space).</summary>
    public static bool IsNewerTimestamp(uint a, uint b) => a != b && (int)(a - b) > 0;
}

/// <summary>
/// Extends wrapping 16-bit sequence numbers to a 64-bit count (RFC 3550 A.1's cycles), choosing the
/// value nearest to the last one seen so that reordered packets from before a wrap land correctly.
/// </summary>
internal struct SequenceUnwrapper
{
    // Start far from zero so that packets reordered from before the first one stay positive.
    private const long Origin = 1L << 32;

    private long _last;
    private bool _started;

    public long Unwrap(ushort sequence)
    {
        if (!_started)
        {
            _started = true;
            _last = Origin + sequence;
            return _last;
        }

        var value = _last + (short)(sequence - (ushort)_last);
        if (value > _last)
        {
            _last = value;
        }

        return value;
    }
}

/// <summary>Extends wrapping 32-bit RTP timestamps to a 64-bit count, like <see cref="SequenceUnwrapper"/>.</summary>
internal struct TimestampUnwrapper
{
    private const long Origin = 1L << 40;

    private long _last;
    private bool _started;

    public long Unwrap(uint timestamp)
    {
        if (!_started)
        {
            _started = true;
            _last = Origin + timestamp;
            return _last;
        }

        var value = _last + (int)(timestamp - (uint)_last);
        if (value > _last)
        {
            _last = value;
        }

        return value;
    }
}
