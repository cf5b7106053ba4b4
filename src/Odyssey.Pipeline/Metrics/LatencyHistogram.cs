using System.Numerics;

namespace Odyssey.Pipeline;

/// <summary>
/// A fixed-bucket, log-linear histogram of non-negative durations (in <see cref="System.Diagnostics.Stopwatch"/>
/// ticks), recorded lock-free from any thread with no allocation. Each power of two is split into
/// <see cref="SubBuckets"/> linear buckets, so a reported percentile is within 1/<see cref="SubBuckets"/>
/// (12.5 %) of the true value at any magnitude, from one tick to centuries.
/// </summary>
internal sealed class LatencyHistogram
{
    /// <summary>Linear buckets per power of two: 8 bounds the relative error at 12.5 % with 4 KiB of counters.</summary>
    private const int SubBuckets = 8;

    private const int SubBucketBits = 3;

    /// <summary>Values below <see cref="SubBuckets"/> get a bucket each; then 8 per power of two up to 2^63.</summary>
    private const int BucketCount = SubBuckets + ((64 - SubBucketBits) * SubBuckets);

    private readonly long[] _counts = new long[BucketCount];

    /// <summary>Values recorded so far (summed on demand: the per-item path does one atomic add, not two).</summary>
    public long Count
    {
        get
        {
            long total = 0;
            for (var i = 0; i < BucketCount; i++)
            {
                total += Volatile.Read(ref _counts[i]);
            }

            return total;
        }
    }

    /// <summary>Records one duration; negative values count as zero.</summary>
    public void Record(long ticks) => Interlocked.Increment(ref _counts[BucketOf(ticks)]);

    /// <summary>
    /// The value below which <paramref name="quantile"/> (0..1) of the recorded values fall, as the
    /// middle of its bucket; 0 when nothing was recorded. Concurrent records may or may not be seen.
    /// </summary>
    public double Percentile(double quantile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quantile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quantile, 1);
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        // The rank of the wanted value, 1-based; at least 1 so quantile 0 finds the smallest bucket.
        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                var (low, high) = BoundsOf(i);
                return (low + high) / 2.0;
            }
        }

        return BoundsOf(BucketCount - 1).High;
    }

    internal static int BucketOf(long value)
    {
        if (value < SubBuckets)
        {
            return value < 0 ? 0 : (int)value;
        }

        var exponent = BitOperations.Log2((ulong)value);
        var mantissa = (int)(value >> (exponent - SubBucketBits)) & (SubBuckets - 1);
        return SubBuckets + ((exponent - SubBucketBits) * SubBuckets) + mantissa;
    }

    /// <summary>Inclusive low, exclusive high bound of bucket <paramref name="index"/>.</summary>
    internal static (double Low, double High) BoundsOf(int index)
    {
        if (index < SubBuckets)
        {
            return (index, index + 1);
        }

        var exponent = ((index - SubBuckets) / SubBuckets) + SubBucketBits;
        var mantissa = (index - SubBuckets) % SubBuckets;
        var scale = Math.Pow(2, exponent - SubBucketBits);
        return ((SubBuckets + mantissa) * scale, (SubBuckets + mantissa + 1) * scale);
    }
}
