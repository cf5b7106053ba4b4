using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks.Tests;

public class ConvertBlockTests
{
    [Fact]
    public async Task Convert_FrameAlreadyInTargetFormat_ForwardsItWithAReference()
    {
        using var context = new TestBlockContext();
        var input = await OpenCvTransformTests.InputAsync(context, PixelFormat.Bgr24);
        var block = await BlockHarness.StartAsync(new ConvertBlock(new ConvertOptions { Format = PixelFormat.Bgr24 }), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;

        Assert.Same(input, output);
        Assert.Equal(2, input.ReferenceCount);
        output.Release();
        input.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Convert_BgrToGray_MatchesBt601LumaWithinOne()
    {
        // Needs PixelConverter (stubbed until the converter branch is merged).
        using var context = new TestBlockContext();
        var input = await OpenCvTransformTests.InputAsync(context, PixelFormat.Bgr24);
        var block = await BlockHarness.StartAsync(new ConvertBlock(new ConvertOptions { Format = PixelFormat.Gray8 }), context);

        try
        {
            var output = (await BlockHarness.TransformAsync(block, input))!;
            using var source = TestFrames.ToMat(input);
            using var expected = source.CvtColor(ColorConversionCodes.BGR2GRAY);
            using var actual = TestFrames.ToMat(output);
            Assert.Equal((PixelFormat.Gray8, input.Index), (output.Format, output.Index));
            Assert.True(TestFrames.MaxDifference(expected, actual) <= 1);
            output.Release();
        }
        finally
        {
            input.Release();
        }

        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Theory]
    [InlineData(PixelFormat.I420, YuvMatrix.Bt601)]
    [InlineData(PixelFormat.Nv12, YuvMatrix.Bt709)]
    public async Task Convert_BgrToYuvAndBack_KeepsTheIndexStampAndCloseColours(PixelFormat yuv, YuvMatrix matrix)
    {
        // Needs PixelConverter (stubbed until the converter branch is merged).
        using var context = new TestBlockContext();
        var input = await OpenCvTransformTests.InputAsync(context, PixelFormat.Bgr24);
        var toYuv = await BlockHarness.StartAsync(new ConvertBlock(new ConvertOptions { Format = yuv, Matrix = matrix }), context);
        var toBgr = await BlockHarness.StartAsync(new ConvertBlock(new ConvertOptions { Format = PixelFormat.Bgr24, Matrix = matrix }), context);

        try
        {
            var planar = (await BlockHarness.TransformAsync(toYuv, input))!;
            var back = (await BlockHarness.TransformAsync(toBgr, planar))!;
            Assert.Equal(yuv, planar.Format);
            Assert.True(FrameIndexCode.TryRead(planar, out var index));
            Assert.Equal(input.Index, index);
            using var expected = TestFrames.ToMat(input);
            using var actual = TestFrames.ToMat(back);

            // 4:2:0 halves chroma resolution: colour edges blur, so compare the mean error, not the maximum.
            using var difference = new Mat();
            Cv2.Absdiff(expected, actual, difference);
            Assert.True(Cv2.Mean(difference).Val0 < 8);
            back.Release();
            planar.Release();
        }
        finally
        {
            input.Release();
        }

        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public void ConvertOptions_Format_IsRequiredAndMatrixDefaultsToBt601()
    {
        Assert.True(BuiltInBlocks.CreateRegistry().TryGet("convert", out var descriptor));

        Assert.True(descriptor.FindOption("format")!.Required);
        Assert.Equal(YuvMatrix.Bt601, descriptor.FindOption("matrix")!.DefaultValue);
    }
}
