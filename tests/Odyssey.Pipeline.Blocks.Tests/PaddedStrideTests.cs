using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>
/// Widths whose rows do not fill the 32-byte stride alignment (101 and 642 pixels), so every block
/// must step rows by the stride: each result is compared with OpenCV on a continuous copy.
/// </summary>
public class PaddedStrideTests
{
    [Theory]
    [InlineData(101, 75)]
    [InlineData(642, 481)]
    public async Task Blocks_OddWidthFrames_MatchOpenCvOnAContinuousCopy(int width, int height)
    {
        using var context = new TestBlockContext();
        var frames = await TestFrames.PatternAsync(context, width, height, count: 2);
        var input = frames[1];
        Assert.NotEqual(width * 3, input.GetStride(0));
        using var source = TestFrames.ToMat(input);

        var blur = await BlockHarness.StartAsync(new GaussianBlurBlock(new GaussianBlurOptions { Kernel = 7 }), context);
        using (var expected = new Mat())
        {
            Cv2.GaussianBlur(source, expected, new Size(7, 7), 0);
            await AssertOutputAsync(BlockHarness.TransformAsync(blur, input), expected);
        }

        var canny = await BlockHarness.StartAsync(new CannyBlock(new CannyOptions()), context);
        using (var gray = new Mat())
        using (var expected = new Mat())
        {
            Cv2.CvtColor(source, gray, ColorConversionCodes.BGR2GRAY);
            Cv2.Canny(gray, expected, 100, 200, 3);
            await AssertOutputAsync(BlockHarness.TransformAsync(canny, input), expected);
        }

        var resize = await BlockHarness.StartAsync(new ResizeBlock(new ResizeOptions { Width = 33, Height = 17 }), context);
        using (var expected = new Mat())
        {
            Cv2.Resize(source, expected, new Size(33, 17));
            await AssertOutputAsync(BlockHarness.TransformAsync(resize, input), expected);
        }

        // Luma analysis reads only pixels: the histogram counts exactly width × height of them.
        var brightness = await BlockHarness.StartAsync(new BrightnessBlock(new BrightnessOptions()), context);
        var record = (BrightnessRecord)(await BlockHarness.TransformAsync(brightness, input))!;
        Assert.Equal((long)width * height, record.Histogram.Sum());

        var motion = await BlockHarness.StartAsync(new MotionBlock(new MotionOptions()), context);
        await BlockHarness.TransformAsync(motion, input);
        var still = (MotionRecord)(await BlockHarness.TransformAsync(motion, input))!;
        Assert.Equal(0, still.MeanDifference);

        Assert.True(FrameIndexCode.TryRead(input, out var index));
        Assert.Equal(1, index);
        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    private static async Task AssertOutputAsync(Task<VideoFrame?> transform, Mat expected)
    {
        var output = (await transform)!;
        try
        {
            using var actual = TestFrames.ToMat(output);
            Assert.Equal(0, TestFrames.MaxDifference(expected, actual));
        }
        finally
        {
            output.Release();
        }
    }
}
