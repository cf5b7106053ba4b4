using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Counts of each luma value 0..255 of a frame, folded into fewer equal-width bins on demand.</summary>
internal sealed class LumaHistogram
{
    private const int Levels = 256;

    private readonly long[] _counts = new long[Levels];
    private byte[] _scratch = [];

    /// <summary>Pixels counted.</summary>
    public long Total { get; private set; }

    /// <summary>Counts the luma of every pixel of <paramref name="frame"/>, replacing the previous counts.</summary>
    public void Count(VideoFrame frame)
    {
        Array.Clear(_counts);
        if (_scratch.Length < frame.Width)
        {
            _scratch = new byte[frame.Width];
        }

        for (var y = 0; y < frame.Height; y++)
        {
            foreach (var value in Luma.Row(frame, y, _scratch))
            {
                _counts[value]++;
            }
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
