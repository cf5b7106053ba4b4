using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>
/// Each OpenCV transform against a direct OpenCV call on a continuous copy of the same input: the
/// block only wraps frames, so the results must match exactly.
/// </summary>
public class OpenCvTransformTests
{
    [Theory]
    [InlineData(PixelFormat.Bgr24, Interpolation.Linear)]
    [InlineData(PixelFormat.Rgb24, Interpolation.Cubic)]
    [InlineData(PixelFormat.Gray8, Interpolation.Area)]
    [InlineData(PixelFormat.Bgr24, Interpolation.Nearest)]
    public async Task Resize_PackedFrame_MatchesCv2Resize(PixelFormat format, Interpolation interpolation)
    {
        using var context = new TestBlockContext();
        var input = await InputAsync(context, format);
        var block = await BlockHarness.StartAsync(new ResizeBlock(new ResizeOptions { Width = 200, Height = 150, Interpolation = interpolation }), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;

        using var source = TestFrames.ToMat(input);
        using var expected = new Mat();
        Cv2.Resize(source, expected, new Size(200, 150), 0, 0, ResizeBlock.ToOpenCv(interpolation));
        using var actual = TestFrames.ToMat(output);
        Assert.Equal(0, TestFrames.MaxDifference(expected, actual));
        Assert.Equal((200, 150, format, input.Index), (output.Width, output.Height, output.Format, output.Index));
        output.Release();
        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Theory]
    [InlineData(PixelFormat.I420)]
    [InlineData(PixelFormat.Nv12)]
    public async Task Resize_PlanarFrame_ResizesEveryPlaneLikeCv2Resize(PixelFormat format)
    {
        using var context = new TestBlockContext();
        var input = await PlanarInputAsync(context, format);
        var block = await BlockHarness.StartAsync(new ResizeBlock(new ResizeOptions { Width = 80, Height = 60 }), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;

        Assert.Equal(format, output.Format);
        for (var plane = 0; plane < input.PlaneCount; plane++)
        {
            using var source = TestFrames.ToMat(input, plane);
            using var actual = TestFrames.ToMat(output, plane);
            using var expected = new Mat();
            Cv2.Resize(source, expected, actual.Size(), 0, 0, InterpolationFlags.Linear);
            Assert.Equal(0, TestFrames.MaxDifference(expected, actual));
        }

        output.Release();
        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Theory]
    [InlineData(PixelFormat.Bgr24, 5, 0.0)]
    [InlineData(PixelFormat.Gray8, 9, 2.5)]
    [InlineData(PixelFormat.Rgb24, 1, 0.0)]
    public async Task GaussianBlur_PackedFrame_MatchesCv2GaussianBlur(PixelFormat format, int kernel, double sigma)
    {
        using var context = new TestBlockContext();
        var input = await InputAsync(context, format);
        var block = await BlockHarness.StartAsync(new GaussianBlurBlock(new GaussianBlurOptions { Kernel = kernel, Sigma = sigma }), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;

        using var source = TestFrames.ToMat(input);
        using var expected = new Mat();
        Cv2.GaussianBlur(source, expected, new Size(kernel, kernel), sigma);
        using var actual = TestFrames.ToMat(output);
        Assert.Equal(0, TestFrames.MaxDifference(expected, actual));
        output.Release();
        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task GaussianBlur_I420Frame_BlursChromaWithHalfTheKernel()
    {
        using var context = new TestBlockContext();
        var input = await PlanarInputAsync(context, PixelFormat.I420);
        var block = await BlockHarness.StartAsync(new GaussianBlurBlock(new GaussianBlurOptions { Kernel = 7 }), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;

        for (var plane = 0; plane < 3; plane++)
        {
            var kernel = plane == 0 ? 7 : 3;
            using var source = TestFrames.ToMat(input, plane);
            using var expected = new Mat();
            Cv2.GaussianBlur(source, expected, new Size(kernel, kernel), 0);
            using var actual = TestFrames.ToMat(output, plane);
            Assert.Equal(0, TestFrames.MaxDifference(expected, actual));
        }

        output.Release();
        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public void GaussianBlurOptions_EvenKernel_IsRejected()
    {
        var error = Assert.Single(OptionsValidation.Validate(new GaussianBlurOptions { Kernel = 4 }));

        Assert.Equal(["kernel"], error.MemberNames);
        Assert.Contains("odd", error.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PixelFormat.Bgr24, ColorConversionCodes.BGR2GRAY)]
    [InlineData(PixelFormat.Rgb24, ColorConversionCodes.RGB2GRAY)]
    public async Task Grayscale_ColourFrame_MatchesCv2CvtColor(PixelFormat format, ColorConversionCodes code)
    {
        using var context = new TestBlockContext();
        var input = await InputAsync(context, format);
        var block = await BlockHarness.StartAsync(new GrayscaleBlock(new GrayscaleOptions()), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;

        using var source = TestFrames.ToMat(input);
        using var expected = source.CvtColor(code);
        using var actual = TestFrames.ToMat(output);
        Assert.Equal(PixelFormat.Gray8, output.Format);
        Assert.Equal(0, TestFrames.MaxDifference(expected, actual));
        output.Release();
        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Grayscale_GrayFrame_ForwardsTheSameFrameWithAReference()
    {
        using var context = new TestBlockContext();
        var input = await InputAsync(context, PixelFormat.Gray8);
        var block = await BlockHarness.StartAsync(new GrayscaleBlock(new GrayscaleOptions()), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;

        Assert.Same(input, output);
        Assert.Equal(2, input.ReferenceCount);
        output.Release();
        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Theory]
    [InlineData(PixelFormat.Gray8, 100.0, 200.0, 3)]
    [InlineData(PixelFormat.Bgr24, 50.0, 150.0, 5)]
    [InlineData(PixelFormat.Rgb24, 100.0, 200.0, 3)]
    public async Task Canny_Frame_MatchesCv2CannyOnTheGrayImage(PixelFormat format, double low, double high, int aperture)
    {
        using var context = new TestBlockContext();
        var input = await InputAsync(context, format);
        var block = await BlockHarness.StartAsync(new CannyBlock(new CannyOptions { Threshold1 = low, Threshold2 = high, Aperture = aperture }), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;

        using var source = TestFrames.ToMat(input);
        using var gray = format switch
        {
            PixelFormat.Bgr24 => source.CvtColor(ColorConversionCodes.BGR2GRAY),
            PixelFormat.Rgb24 => source.CvtColor(ColorConversionCodes.RGB2GRAY),
            _ => source.Clone(),
        };
        using var expected = new Mat();
        Cv2.Canny(gray, expected, low, high, aperture);
        using var actual = TestFrames.ToMat(output);
        Assert.Equal(PixelFormat.Gray8, output.Format);
        Assert.Equal(0, TestFrames.MaxDifference(expected, actual));
        Assert.True(Cv2.CountNonZero(actual) > 0, "the pattern has edges");
        output.Release();
        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public void CannyOptions_ApertureFour_IsRejected()
    {
        var error = Assert.Single(OptionsValidation.Validate(new CannyOptions { Aperture = 4 }));

        Assert.Equal(["aperture"], error.MemberNames);
    }

    [Theory]
    [InlineData(ThresholdKind.Binary)]
    [InlineData(ThresholdKind.BinaryInv)]
    [InlineData(ThresholdKind.Trunc)]
    [InlineData(ThresholdKind.ToZero)]
    [InlineData(ThresholdKind.ToZeroInv)]
    [InlineData(ThresholdKind.Otsu)]
    public async Task Threshold_GrayFrame_MatchesCv2Threshold(ThresholdKind kind)
    {
        using var context = new TestBlockContext();
        var input = await InputAsync(context, PixelFormat.Gray8);
        var block = await BlockHarness.StartAsync(new ThresholdBlock(new ThresholdOptions { Value = 100, MaxValue = 200, Type = kind }), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;

        using var source = TestFrames.ToMat(input);
        using var expected = new Mat();
        Cv2.Threshold(source, expected, 100, 200, ThresholdBlock.ToOpenCv(kind));
        using var actual = TestFrames.ToMat(output);
        Assert.Equal(0, TestFrames.MaxDifference(expected, actual));
        output.Release();
        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Threshold_BgrFrame_AppliesPerChannel()
    {
        using var context = new TestBlockContext();
        var input = await InputAsync(context, PixelFormat.Bgr24);
        var block = await BlockHarness.StartAsync(new ThresholdBlock(new ThresholdOptions { Value = 90, Type = ThresholdKind.Binary }), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;

        using var source = TestFrames.ToMat(input);
        using var actual = TestFrames.ToMat(output);
        for (var channel = 0; channel < 3; channel++)
        {
            using var plane = source.ExtractChannel(channel);
            using var expected = plane.Threshold(90, 255, ThresholdTypes.Binary);
            using var got = actual.ExtractChannel(channel);
            Assert.Equal(0, TestFrames.MaxDifference(expected, got));
        }

        output.Release();
        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Threshold_BgrFrameOtsu_ChoosesAThresholdPerChannel()
    {
        using var context = new TestBlockContext();
        var input = await InputAsync(context, PixelFormat.Bgr24);
        var block = await BlockHarness.StartAsync(new ThresholdBlock(new ThresholdOptions { Type = ThresholdKind.Otsu }), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;

        using var source = TestFrames.ToMat(input);
        using var actual = TestFrames.ToMat(output);
        for (var channel = 0; channel < 3; channel++)
        {
            using var plane = source.ExtractChannel(channel);
            using var expected = plane.Threshold(0, 255, ThresholdTypes.Binary | ThresholdTypes.Otsu);
            using var got = actual.ExtractChannel(channel);
            Assert.Equal(0, TestFrames.MaxDifference(expected, got));
        }

        output.Release();
        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Canny_I420Frame_ThrowsNamingBlockFormatsAndConvert()
    {
        using var context = new TestBlockContext("edges");
        var input = await PlanarInputAsync(context, PixelFormat.I420);
        var block = await BlockHarness.StartAsync(new CannyBlock(new CannyOptions()), context);

        var error = await Assert.ThrowsAsync<UnsupportedPixelFormatException>(() => BlockHarness.TransformAsync(block, input));

        Assert.Equal(("edges", "canny", PixelFormat.I420), (error.BlockName, error.BlockType, error.Received));
        Assert.Equal([PixelFormat.Bgr24, PixelFormat.Rgb24, PixelFormat.Gray8], error.Accepted.ToArray());
        Assert.Equal(
            "block \"edges\" (canny) received a frame in i420 but accepts only bgr24, rgb24, gray8; put a \"convert\" block with \"format\": \"bgr24\" in front of it",
            error.Message);
        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Theory]
    [InlineData(PixelFormat.Nv12)]
    [InlineData(PixelFormat.I420)]
    public async Task PackedOnlyBlocks_PlanarFrame_ThrowAndLeakNothing(PixelFormat format)
    {
        using var context = new TestBlockContext();
        var input = await PlanarInputAsync(context, format);
        var grayscale = await BlockHarness.StartAsync(new GrayscaleBlock(new GrayscaleOptions()), context);
        var threshold = await BlockHarness.StartAsync(new ThresholdBlock(new ThresholdOptions()), context);

        await Assert.ThrowsAsync<UnsupportedPixelFormatException>(() => BlockHarness.TransformAsync(grayscale, input));
        await Assert.ThrowsAsync<UnsupportedPixelFormatException>(() => BlockHarness.TransformAsync(threshold, input));

        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    /// <summary>A 320x240 test-pattern frame (index 3) in <paramref name="format"/>, converted by OpenCV.</summary>
    internal static async Task<VideoFrame> InputAsync(TestBlockContext context, PixelFormat format)
    {
        var frames = await TestFrames.PatternAsync(context, 320, 240, count: 4);
        var bgr = frames[3];
        frames.RemoveAt(3);
        TestFrames.ReleaseAll(frames);
        if (format == PixelFormat.Bgr24)
        {
            return bgr;
        }

        using var source = TestFrames.ToMat(bgr);
        using var converted = source.CvtColor(format == PixelFormat.Rgb24 ? ColorConversionCodes.BGR2RGB : ColorConversionCodes.BGR2GRAY);
        var result = TestFrames.FromMat(context.FramePool, converted, format, bgr.Index);
        bgr.Release();
        return result;
    }

    /// <summary>A planar frame whose luma is the pattern and whose chroma planes hold distinct gradients.</summary>
    internal static async Task<VideoFrame> PlanarInputAsync(TestBlockContext context, PixelFormat format)
    {
        var gray = await InputAsync(context, PixelFormat.Gray8);
        var frame = TestFrames.PlanarFromGray(context.FramePool, gray, format);
        gray.Release();
        for (var plane = 1; plane < frame.PlaneCount; plane++)
        {
            var rows = PixelFormats.PlaneHeight(format, plane, frame.Height);
            for (var y = 0; y < rows; y++)
            {
                var row = frame.GetRow(plane, y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = (byte)((x * 3) + (y * plane * 5));
                }
            }
        }

        return frame;
    }
}
