using CsCheck;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks.Tests;

public class FrameIndexCodeTests
{
    [Theory]
    [InlineData(64, 48)]
    [InlineData(640, 480)]
    [InlineData(100, 75)]
    [InlineData(1280, 720)]
    public async Task TryRead_PatternFrames_ReturnsTheirIndices(int width, int height)
    {
        using var context = new TestBlockContext();
        var frames = await TestFrames.PatternAsync(context, width, height, count: 20);

        foreach (var frame in frames)
        {
            Assert.True(FrameIndexCode.TryRead(frame, out var index));
            Assert.Equal(frame.Index, index);
        }

        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(123_456_789L)]
    [InlineData(uint.MaxValue)]
    public void TryRead_DrawnIndex_RoundTrips(long stamped)
    {
        var pool = new VideoFramePool();
        var frame = TestFrames.Uniform(pool, 64, 48, PixelFormat.Bgr24, 90);

        FrameIndexCode.Draw(frame, stamped);

        Assert.True(FrameIndexCode.TryRead(frame, out var index));
        Assert.Equal(stamped, index);
        frame.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void TryRead_AnyIndexOnAnySizeFrom64x48_RoundTrips()
    {
        var pool = new VideoFramePool(retainedPerShape: 0);
        Gen.Select(Gen.Int[64, 700], Gen.Int[48, 500], Gen.UInt, Gen.Byte, Gen.OneOf(PixelFormat.Bgr24, PixelFormat.Rgb24, PixelFormat.Gray8))
            .Sample(
                sample =>
                {
                    var (width, height, stamped, background, format) = sample;
                    var frame = TestFrames.Uniform(pool, width, height, format, background);
                    try
                    {
                        FrameIndexCode.Draw(frame, stamped);
                        return FrameIndexCode.TryRead(frame, out var index) && index == stamped;
                    }
                    finally
                    {
                        frame.Release();
                    }
                },
                iter: 300);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void TryRead_IndexBeyond32Bits_ReadsTheLow32Bits()
    {
        var pool = new VideoFramePool();
        var frame = TestFrames.Uniform(pool, 64, 48, PixelFormat.Gray8, 0);

        FrameIndexCode.Draw(frame, (1L << 32) + 5);

        Assert.True(FrameIndexCode.TryRead(frame, out var index));
        Assert.Equal(5, index);
        frame.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData(PixelFormat.Bgr24, (byte)0)]
    [InlineData(PixelFormat.Gray8, (byte)255)]
    [InlineData(PixelFormat.I420, (byte)128)]
    public void TryRead_FrameWithoutStamp_ReturnsFalse(PixelFormat format, byte value)
    {
        var pool = new VideoFramePool();
        var frame = TestFrames.Uniform(pool, 64, 48, format, value);

        Assert.False(FrameIndexCode.TryRead(frame, out _));
        frame.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void TryRead_NoisyFrames_AreNeverMisread()
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(64, 48, PixelFormat.Gray8);
        var random = new Random(5);
        var misreads = 0;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            random.NextBytes(frame.GetPlane(0));
            misreads += FrameIndexCode.TryRead(frame, out _) ? 1 : 0;
        }

        Assert.Equal(0, misreads);
        frame.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void TryRead_FlippedDataCell_FailsTheCheck()
    {
        var pool = new VideoFramePool();
        var frame = TestFrames.Uniform(pool, 64, 48, PixelFormat.Gray8, 0);
        FrameIndexCode.Draw(frame, 77);

        // Cell 10 (an index bit) spans x 40..44, y 0..4 at 64x48; invert it.
        for (var y = 0; y < 4; y++)
        {
            var row = frame.GetRow(0, y);
            for (var x = 40; x < 44; x++)
            {
                row[x] = (byte)(255 - row[x]);
            }
        }

        Assert.False(FrameIndexCode.TryRead(frame, out _));
        frame.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData(PixelFormat.I420)]
    [InlineData(PixelFormat.Nv12)]
    public async Task TryRead_PlanarFrames_ReadTheLumaPlane(PixelFormat format)
    {
        using var context = new TestBlockContext();
        var frames = await TestFrames.PatternAsync(context, 160, 120, count: 3);
        var grayscale = await BlockHarness.StartAsync(new GrayscaleBlock(new GrayscaleOptions()), context);

        foreach (var frame in frames)
        {
            var gray = (await BlockHarness.TransformAsync(grayscale, frame))!;
            var planar = TestFrames.PlanarFromGray(context.FramePool, gray, format);
            Assert.True(FrameIndexCode.TryRead(planar, out var index));
            Assert.Equal(frame.Index, index);
            planar.Release();
            gray.Release();
        }

        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task TryRead_RgbFrame_ReadsTheSameIndex()
    {
        using var context = new TestBlockContext();
        var frames = await TestFrames.PatternAsync(context, 160, 120, count: 2);

        foreach (var frame in frames)
        {
            using var bgr = TestFrames.ToMat(frame);
            using var rgb = bgr.CvtColor(ColorConversionCodes.BGR2RGB);
            var rgbFrame = TestFrames.FromMat(context.FramePool, rgb, PixelFormat.Rgb24);
            Assert.True(FrameIndexCode.TryRead(rgbFrame, out var index));
            Assert.Equal(frame.Index, index);
            rgbFrame.Release();
        }

        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task TryRead_AfterGaussianBlur5x5_ReturnsTheIndices()
    {
        await AssertSurvivesAsync(new GaussianBlurBlock(new GaussianBlurOptions { Kernel = 5 }), 640, 480);
    }

    [Fact]
    public async Task TryRead_AfterGaussianBlur5x5AtSmallestSize_ReturnsTheIndices()
    {
        await AssertSurvivesAsync(new GaussianBlurBlock(new GaussianBlurOptions { Kernel = 5 }), 64, 48);
    }

    [Fact]
    public async Task TryRead_AfterResizeToHalf_ReturnsTheIndices()
    {
        await AssertSurvivesAsync(new ResizeBlock(new ResizeOptions { Width = 320, Height = 240 }), 640, 480);
    }

    [Fact]
    public async Task TryRead_AfterGrayscale_ReturnsTheIndices()
    {
        await AssertSurvivesAsync(new GrayscaleBlock(new GrayscaleOptions()), 640, 480);
    }

    [Theory]
    [InlineData(640, 480)]
    [InlineData(160, 120)]
    [InlineData(64, 48)]
    public async Task TryRead_AfterMp4SinkAndVideoCapture_ReturnsEveryIndexInOrder(int width, int height)
    {
        const int Count = 45;
        using var context = new TestBlockContext();
        var frames = await TestFrames.PatternAsync(context, width, height, count: Count);
        var sink = await BlockHarness.StartAsync(new Mp4SinkBlock(new Mp4SinkOptions { Path = "video/out.mp4" }), context);
        foreach (var frame in frames)
        {
            await BlockHarness.ConsumeAsync(sink, frame);
        }

        await BlockHarness.CompleteAsync(sink);
        await sink.DisposeAsync();
        TestFrames.ReleaseAll(frames);

        var read = new List<long>();
        using (var capture = new VideoCapture(Path.Combine(context.BaseDirectory, "video/out.mp4")))
        using (var image = new Mat())
        {
            Assert.True(capture.IsOpened());
            while (capture.Read(image) && !image.Empty())
            {
                var decoded = TestFrames.FromMat(context.FramePool, image, PixelFormat.Bgr24);
                Assert.True(FrameIndexCode.TryRead(decoded, out var index), $"frame {read.Count} of the MP4 has no readable stamp");
                read.Add(index);
                decoded.Release();
            }
        }

        Assert.Equal(Enumerable.Range(0, Count).Select(i => (long)i), read);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    private static async Task AssertSurvivesAsync<TOptions>(TransformBlock<VideoFrame, VideoFrame, TOptions> block, int width, int height)
        where TOptions : class
    {
        using var context = new TestBlockContext();
        var frames = await TestFrames.PatternAsync(context, width, height, count: 10);
        await BlockHarness.StartAsync(block, context);

        foreach (var frame in frames)
        {
            var result = (await BlockHarness.TransformAsync(block, frame))!;
            Assert.True(FrameIndexCode.TryRead(result, out var index), $"no stamp readable on frame {frame.Index}");
            Assert.Equal(frame.Index, index);
            result.Release();
        }

        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }
}
