using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Counts of each luma value 0..255 of a frame, folded into fewer equal-width bins on demand.</summary>
internal sealed class LumaHistogram
{
    private const int Levels = 256;

    private const int PartialTables = 4;

    private readonly long[] _counts = new long[Levels];
    private readonly int[] _partial = new int[PartialTables * Levels];

    /// <summary>Pixels counted.</summary>
    public long Total { get; private set; }

    /// <summary>Counts the luma of every pixel of <paramref name="frame"/>, replacing the previous counts.</summary>
    public void Count(VideoFrame frame, VideoFramePool pool)
    {
        var converted = Luma.ConvertIfPacked(frame, pool);
        try
        {
            CountPlane(converted ?? frame);
        }
        finally
        {
            converted?.Release();
        }
    }

    private void CountPlane(VideoFrame frame)
    {
        // Four sub-tables, so neighbouring equal pixels (flat areas are common) do not wait on each
        // other's increment of the same counter.
        var partial = _partial.AsSpan();
        partial.Clear();
        for (var y = 0; y < frame.Height; y++)
        {
            var row = frame.GetRow(0, y);
            var x = 0;
            for (; x <= row.Length - PartialTables; x += PartialTables)
            {
                partial[row[x]]++;
                partial[Levels + row[x + 1]]++;
                partial[(2 * Levels) + row[x + 2]]++;
                partial[(3 * Levels) + row[x + 3]]++;
            }

            for (; x < row.Length; x++)
            {
                partial[row[x]]++;
            }
        }

        for (var level = 0; level < Levels; level++)
        {
            _counts[level] = (long)partial[level] + partial[Levels + level] + partial[(2 * Levels) + level] + partial[(3 * Levels) + level];
        }

        Total = (long)frame.Width * frame.Height;
    }

    /// <summary>Mean luma, 0..255.</summary>
    public double Mean()
    {
        long sum = 0;
        for (var level = 0; level < Levels; level++)
        {
            sum += level * _counts[level];
        }

        return Total == 0 ? 0 : (double)sum / Total;
    }

    /// <summary>Folds the counts into <paramref name="bins"/>.Length equal-width bins (bin = value × bins / 256).</summary>
    public void Fold(Span<long> bins)
    {
        bins.Clear();
        for (var level = 0; level < Levels; level++)
        {
            bins[level * bins.Length / Levels] += _counts[level];
        }
    }
}
