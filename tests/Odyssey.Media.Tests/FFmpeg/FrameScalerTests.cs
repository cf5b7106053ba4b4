using CsCheck;
using Odyssey.Media.FFmpeg;
using Odyssey.Media.Tests.Conversion;
using OpenCvSharp;

namespace Odyssey.Media.Tests.FFmpeg;

public sealed class FrameScalerTests
{
    [Theory]
    [InlineData(640, 480, 320, 0, PixelFormat.I420, 320, 240)]
    [InlineData(640, 480, 0, 240, PixelFormat.Bgr24, 320, 240)]
    [InlineData(1920, 1080, 0, 100, PixelFormat.I420, 178, 100)]
    [InlineData(1920, 1080, 0, 100, PixelFormat.Bgr24, 178, 100)]
    [InlineData(1920, 1080, 101, 0, PixelFormat.Nv12, 101, 56)]
    [InlineData(1920, 1080, 101, 0, PixelFormat.Gray8, 101, 57)]
    [InlineData(640, 480, 0, 0, PixelFormat.I420, 640, 480)]
    [InlineData(640, 480, 100, 50, PixelFormat.I420, 100, 50)]
    [InlineData(1000, 10, 0, 1, PixelFormat.Gray8, 100, 1)]
    [InlineData(10, 1000, 1, 0, PixelFormat.I420, 1, 100)]
    [InlineData(1000, 10, 3, 0, PixelFormat.I420, 3, 2)]
    public void TargetSize_ZeroSide_KeepsAspectEvenFor420(int sourceWidth, int sourceHeight, int width, int height, PixelFormat format, int expectedWidth, int expectedHeight)
    {
        Assert.Equal((expectedWidth, expectedHeight), FrameScaler.TargetSize(sourceWidth, sourceHeight, width, height, format));
    }

    [Fact]
    public void TargetSize_RandomSizes_AspectWithinRoundingAndEvenFor420()
    {
        var formats = Gen.Enum<PixelFormat>();
        Gen.Select(Gen.Int[1, 8192], Gen.Int[1, 8192], Gen.Int[1, 8192], Gen.Bool, formats).Sample((sourceWidth, sourceHeight, side, fixWidth, format) =>
        {
            var (width, height) = FrameScaler.TargetSize(sourceWidth, sourceHeight, fixWidth ? side : 0, fixWidth ? 0 : side, format);
            var even = format is PixelFormat.I420 or PixelFormat.Nv12;
            var computed = fixWidth ? height : width;
            var exact = fixWidth ? (double)sourceHeight * side / sourceWidth : (double)sourceWidth * side / sourceHeight;
            Assert.Equal(side, fixWidth ? width : height);
            Assert.True(computed >= 1, $"{sourceWidth}x{sourceHeight} -> {width}x{height}");
            Assert.True(Math.Abs(computed - exact) <= (even ? 1.0 : 0.5) || computed == (even ? 2 : 1), $"{sourceWidth}x{sourceHeight}, side {side}: {width}x{height} is off the aspect ratio ({exact:F2})");
            if (even)
            {
                Assert.Equal(0, computed % 2);
            }
        });
    }

    [Theory]
    [InlineData(PixelFormat.Bgr24)]
    [InlineData(PixelFormat.Rgb24)]
    [InlineData(PixelFormat.Gray8)]
    [InlineData(PixelFormat.Nv12)]
    public void Scale_SameSizeFromI420_MatchesPixelConverter(PixelFormat format)
    {
        var pool = new VideoFramePool();
        var source = Smooth(pool, 160, 120, PixelFormat.I420);
        var expected = pool.Rent(160, 120, format);
        var actual = pool.Rent(160, 120, format);
        PixelConverter.Convert(source, expected);
        using (var scaler = new FrameScaler())
        {
            scaler.Scale(source, actual);
        }

        // libswscale's default YUV->RGB path rounds chroma differently: about one level off on average.
        var (mean, max) = Difference(expected, actual);
        Assert.True(mean <= 1.5 && max <= 4, $"I420 -> {format}: mean |difference| {mean:F2}, max {max} against PixelConverter");
        Assert.Equal(source.Index, actual.Index);
        Assert.Equal(source.Pts, actual.Pts);
        source.Release();
        expected.Release();
        actual.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData(ScaleAlgorithm.Point)]
    [InlineData(ScaleAlgorithm.Bilinear)]
    [InlineData(ScaleAlgorithm.Bicubic)]
    [InlineData(ScaleAlgorithm.Area)]
    [InlineData(ScaleAlgorithm.Lanczos)]
    public void Scale_UniformFrame_StaysUniform(ScaleAlgorithm algorithm)
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(200, 100, PixelFormat.Bgr24);
        for (var y = 0; y < source.Height; y++)
        {
            var row = source.GetRow(0, y);
            for (var x = 0; x < row.Length; x += 3)
            {
                (row[x], row[x + 1], row[x + 2]) = ((byte)30, (byte)140, (byte)220);
            }
        }

        var target = pool.Rent(75, 41, PixelFormat.Bgr24);
        using (var scaler = new FrameScaler(algorithm))
        {
            scaler.Scale(source, target);
        }

        for (var y = 0; y < target.Height; y++)
        {
            var row = target.GetRow(0, y);
            for (var x = 0; x < row.Length; x += 3)
            {
                Assert.InRange(row[x], 29, 31);
                Assert.InRange(row[x + 1], 139, 141);
                Assert.InRange(row[x + 2], 219, 221);
            }
        }

        source.Release();
        target.Release();
    }

    [Fact]
    public void Scale_PointDoubling_RepeatsEachPixel()
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(16, 8, PixelFormat.Gray8);
        for (var y = 0; y < 8; y++)
        {
            var row = source.GetRow(0, y);
            for (var x = 0; x < 16; x++)
            {
                row[x] = (byte)((x * 13) + (y * 29));
            }
        }

        var target = pool.Rent(32, 16, PixelFormat.Gray8);
        using (var scaler = new FrameScaler(ScaleAlgorithm.Point))
        {
            scaler.Scale(source, target);
        }

        for (var y = 0; y < 16; y++)
        {
            for (var x = 0; x < 32; x++)
            {
                Assert.Equal(source.GetRow(0, y / 2)[x / 2], target.GetRow(0, y)[x]);
            }
        }

        source.Release();
        target.Release();
    }

    [Fact]
    public void Scale_AreaHalving_CloseToOpenCvInterArea()
    {
        var pool = new VideoFramePool();
        var source = Smooth(pool, 320, 240, PixelFormat.Bgr24);
        var target = pool.Rent(160, 120, PixelFormat.Bgr24);
        using (var scaler = new FrameScaler(ScaleAlgorithm.Area))
        {
            scaler.Scale(source, target);
        }

        var reference = pool.Rent(160, 120, PixelFormat.Bgr24);
        using (var input = TestImages.WrapPacked(source))
        using (var output = TestImages.WrapPacked(reference))
        {
            Cv2.Resize(input, output, new OpenCvSharp.Size(160, 120), 0, 0, InterpolationFlags.Area);
            Assert.Equal(reference.GetPlanePointer(0), output.Data);
        }

        var (mean, max) = Difference(reference, target);
        Assert.True(mean <= 1.0 && max <= 4, $"area halving: mean |difference| {mean:F2}, max {max} against OpenCV INTER_AREA");
        reference.Release();
        source.Release();
        target.Release();
    }

    [Fact]
    public void Scale_ShrinkAndConvert_SteadyStateAllocatesNothing()
    {
        var pool = new VideoFramePool();
        var source = Smooth(pool, 320, 240, PixelFormat.I420);
        var target = pool.Rent(160, 90, PixelFormat.Bgr24);
        using var scaler = new FrameScaler();
        scaler.Scale(source, target);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            scaler.Scale(source, target);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        source.Release();
        target.Release();
    }

    [Fact]
    public void Scale_AfterDispose_Throws()
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(16, 16, PixelFormat.Gray8);
        var scaler = new FrameScaler();
        scaler.Dispose();

        Assert.Throws<ObjectDisposedException>(() => scaler.Scale(frame, frame));
        frame.Release();
    }

    /// <summary>A smooth picture in <paramref name="format"/>: diagonal gradients, colour in both chroma planes.</summary>
    private static VideoFrame Smooth(VideoFramePool pool, int width, int height, PixelFormat format)
    {
        var bgr = pool.Rent(width, height, PixelFormat.Bgr24);
        for (var y = 0; y < height; y++)
        {
            var row = bgr.GetRow(0, y);
            for (var x = 0; x < width; x++)
            {
                row[3 * x] = (byte)(40 + (150 * x / width));
                row[(3 * x) + 1] = (byte)(30 + (180 * y / height));
                row[(3 * x) + 2] = (byte)(200 - (120 * (x + y) / (width + height)));
            }
        }

        bgr.Index = 42;
        bgr.Pts = TimeSpan.FromMilliseconds(1234);
        if (format == PixelFormat.Bgr24)
        {
            return bgr;
        }

        var converted = pool.Rent(width, height, format);
        PixelConverter.Convert(bgr, converted);
        bgr.Release();
        return converted;
    }

    private static (double Mean, int Max) Difference(VideoFrame expected, VideoFrame actual)
    {
        long sum = 0;
        long count = 0;
        var max = 0;
        for (var plane = 0; plane < expected.PlaneCount; plane++)
        {
            for (var y = 0; y < PixelFormats.PlaneHeight(expected.Format, plane, expected.Height); y++)
            {
                var a = expected.GetRow(plane, y);
                var b = actual.GetRow(plane, y);
                for (var x = 0; x < a.Length; x++)
                {
                    var difference = Math.Abs(a[x] - b[x]);
                    sum += difference;
                    max = Math.Max(max, difference);
                    count++;
                }
            }
        }

        return ((double)sum / count, max);
    }
}
