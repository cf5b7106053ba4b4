namespace Odyssey.WebRtc.Srtp;

/// <summary>
/// The sliding replay window of RFC 3711 §3.3.2 over packet indices (48-bit SRTP, 31-bit SRTCP).
/// A circular bitmap: bit (index mod size) says whether that index was accepted; moving the window
/// forward clears the bits of the indices it skipped.
/// </summary>
internal sealed class ReplayWindow
{
    private readonly ulong[] _bits;
    private readonly int _size;

    internal ReplayWindow(int size)
    {
        _size = size;
        _bits = new ulong[size / 64];
    }

    /// <summary>Highest index accepted so far (valid once <see cref="HasAccepted"/>).</summary>
    internal ulong Highest { get; private set; }

    internal bool HasAccepted { get; private set; }

    /// <summary>Whether an index could be accepted; does not change the window.</summary>
    internal SrtpError Check(ulong index)
    {
        if (!HasAccepted || index > Highest)
        {
            return SrtpError.None;
        }

        ulong behind = Highest - index;
        if (behind >= (ulong)_size)
        {
            return SrtpError.TooOld;
        }

        int bit = (int)(index % (ulong)_size);
        return (_bits[bit >> 6] & (1UL << (bit & 63))) != 0 ? SrtpError.Replayed : SrtpError.None;
    }

    /// <summary>Marks an index accepted (call only after it authenticated and passed <see cref="Check"/>).</summary>
    internal void Accept(ulong index)
    {
        if (!HasAccepted)
        {
            HasAccepted = true;
            Highest = index;
        }
        else if (index > Highest)
        {
            ulong advance = index - Highest;
            if (advance >= (ulong)_size)
            {
                Array.Clear(_bits);
            }
            else
            {
                for (ulong skipped = Highest + 1; skipped < index; skipped++)
                {
                    Clear(skipped);
                }
            }

            Highest = index;
        }

        int bit = (int)(index % (ulong)_size);
        _bits[bit >> 6] |= 1UL << (bit & 63);
    }

    /// <summary>Forgets every accepted index (benchmarks replay the same packets; no protocol use).</summary>
    internal void Reset()
    {
        Array.Clear(_bits);
        HasAccepted = false;
        Highest = 0;
    }

    private void Clear(ulong index)
    {
        int bit = (int)(index % (ulong)_size);
        _bits[bit >> 6] &= ~(1UL << (bit & 63));
    }
}
