using System.Numerics;

namespace Odyssey.Pipeline.Blocks;

/// <summary>The per-pixel kernel of <see cref="MotionBlock"/>: absolute luma differences, summed and thresholded, a vector at a time.</summary>
internal static class FrameDifference
{
    /// <summary>
    /// Vectors accumulated in narrow lanes before widening: 128 × (255 + 255) fits a ushort lane of
    /// difference sums, and 128 fits a byte lane of counts.
    /// </summary>
    private const int VectorsPerBatch = 128;

    /// <summary>Adds Σ|current − previous| to <paramref name="sum"/> and the count of differences above <paramref name="threshold"/> to <paramref name="moving"/>.</summary>
    public static void Accumulate(ReadOnlySpan<byte> current, ReadOnlySpan<byte> previous, int threshold, ref long sum, ref long moving)
    {
        var x = 0;
        var width = Vector<byte>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var limit = new Vector<byte>((byte)threshold);
            while (x <= current.Length - width)
            {
                var sums = Vector<ushort>.Zero;
                var counts = Vector<byte>.Zero;
                for (var batch = 0; batch < VectorsPerBatch && x <= current.Length - width; batch++, x += width)
                {
                    var a = new Vector<byte>(current[x..]);
                    var b = new Vector<byte>(previous[x..]);
                    var difference = Vector.Max(a, b) - Vector.Min(a, b);
                    Vector.Widen(difference, out var low, out var high);
                    sums += low + high;

                    // A true comparison lane is 0xFF; subtracting it adds one (mod 256).
                    counts -= Vector.GreaterThan(difference, limit);
                }

                Vector.Widen(sums, out var sumLow, out var sumHigh);
                sum += Vector.Sum(sumLow + sumHigh);
                Vector.Widen(counts, out var countLow, out var countHigh);
                moving += Vector.Sum(countLow + countHigh);
            }
        }

        for (; x < current.Length; x++)
        {
            var difference = Math.Abs(current[x] - previous[x]);
            sum += difference;
            moving += difference > threshold ? 1 : 0;
        }
    }
}
