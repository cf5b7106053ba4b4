namespace Odyssey.Pipeline.Tests.Metrics;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Percentile_Empty_IsZero() => Assert.Equal(0, new LatencyHistogram().Percentile(0.5));

    [Theory]
    [InlineData(0.50)]
    [InlineData(0.99)]
    [InlineData(0.10)]
    public void Percentile_UniformValues_WithinTheBucketError(double quantile)
    {
        var histogram = new LatencyHistogram();
        for (var value = 1; value <= 100_000; value++)
        {
            histogram.Record(value);
        }

        var expected = quantile * 100_000;
        Assert.InRange(histogram.Percentile(quantile), expected * 0.875, expected * 1.125);
        Assert.Equal(100_000, histogram.Count);
    }

    [Fact]
    public void Percentile_TwoClusters_P50InLowerP99InUpper()
    {
        var histogram = new LatencyHistogram();
        for (var i = 0; i < 980; i++)
        {
            histogram.Record(1_000);
        }

        for (var i = 0; i < 20; i++)
        {
            histogram.Record(5_000_000);
        }

        Assert.InRange(histogram.Percentile(0.5), 875, 1_125);
        Assert.InRange(histogram.Percentile(0.99), 4_375_000, 5_625_000);
    }

    [Fact]
    public void BucketOf_EveryPowerOfTwo_FallsInsideItsBucketBounds()
    {
        for (var shift = 0; shift < 63; shift++)
        {
            foreach (var value in new[] { 1L << shift, (1L << shift) + ((1L << shift) / 3) })
            {
                var (low, high) = LatencyHistogram.BoundsOf(LatencyHistogram.BucketOf(value));
                Assert.InRange(value, low, high);
                Assert.True(value < high);
            }
        }

        Assert.Equal(0, LatencyHistogram.BucketOf(-5));
        Assert.Equal(LatencyHistogram.BucketOf(long.MaxValue), LatencyHistogram.BucketOf(long.MaxValue - 1));
    }
}
