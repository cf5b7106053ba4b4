using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Pipeline.Blocks.Tests;

public sealed class ScaleBlockTests
{
    [Theory]
    [InlineData(320, 0, null, PixelFormat.Bgr24, 320, 240)]
    [InlineData(0, 120, PixelFormat.I420, PixelFormat.I420, 160, 120)]
    [InlineData(200, 0, PixelFormat.Nv12, PixelFormat.Nv12, 200, 150)]
    [InlineData(100, 100, PixelFormat.Gray8, PixelFormat.Gray8, 100, 100)]
    [InlineData(0, 0, PixelFormat.Rgb24, PixelFormat.Rgb24, 640, 480)]
    public async Task Transform_Options_OutputSizeFormatAndMetadata(int width, int height, PixelFormat? format, PixelFormat expectedFormat, int expectedWidth, int expectedHeight)
    {
        using var context = new TestBlockContext();
        var input = Assert.Single(await TestFrames.PatternAsync(context, 640, 480));
        input.Index = 17;
        input.Pts = TimeSpan.FromMilliseconds(567);
        input.CaptureTime = DateTimeOffset.UnixEpoch.AddDays(3);
        var block = await BlockHarness.StartAsync(new ScaleBlock(new ScaleOptions { Width = width, Height = height, Format = format }), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;
        input.Release();

        Assert.Equal((expectedWidth, expectedHeight, expectedFormat), (output.Width, output.Height, output.Format));
        Assert.Equal(17, output.Index);
        Assert.Equal(TimeSpan.FromMilliseconds(567), output.Pts);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddDays(3), output.CaptureTime);

        // The stamp survives scaling and conversion: the content was really resampled, not garbage.
        Assert.True(FrameIndexCode.TryRead(output, out var stamp));
        Assert.Equal(0, stamp);
        output.Release();
        await block.DisposeAsync();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Transform_SameSizeAndFormat_ForwardsTheInputItself()
    {
        using var context = new TestBlockContext();
        var input = Assert.Single(await TestFrames.PatternAsync(context, 320, 240));
        var block = await BlockHarness.StartAsync(new ScaleBlock(new ScaleOptions { Width = 320 }), context);

        var output = (await BlockHarness.TransformAsync(block, input))!;

        Assert.Same(input, output);
        Assert.Equal(2, input.ReferenceCount);
        output.Release();
        input.Release();
        await block.DisposeAsync();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Theory]
    [InlineData(ScaleAlgorithm.Point)]
    [InlineData(ScaleAlgorithm.Bilinear)]
    [InlineData(ScaleAlgorithm.Bicubic)]
    [InlineData(ScaleAlgorithm.Area)]
    [InlineData(ScaleAlgorithm.Lanczos)]
    public async Task Transform_HalvingGray_CloseToOpenCvArea(ScaleAlgorithm algorithm)
    {
        using var context = new TestBlockContext();
        var pattern = Assert.Single(await TestFrames.PatternAsync(context, 640, 480));
        var gray = context.FramePool.Rent(640, 480, PixelFormat.Gray8);
        PixelConverter.Convert(pattern, gray);
        pattern.Release();
        var block = await BlockHarness.StartAsync(new ScaleBlock(new ScaleOptions { Width = 320, Height = 240, Algorithm = algorithm }), context);
        var opencv = await BlockHarness.StartAsync(new ResizeBlock(new ResizeOptions { Width = 320, Height = 240, Interpolation = Interpolation.Area }), context);

        var ours = (await BlockHarness.TransformAsync(block, gray))!;
        var reference = (await BlockHarness.TransformAsync(opencv, gray))!;
        gray.Release();

        // Edges of the pattern differ by algorithm; on average every algorithm must land near the area mean.
        long sum = 0;
        for (var y = 0; y < 240; y++)
        {
            var a = ours.GetRow(0, y);
            var b = reference.GetRow(0, y);
            for (var x = 0; x < 320; x++)
            {
                sum += Math.Abs(a[x] - b[x]);
            }
        }

        var mean = (double)sum / (320 * 240);
        Assert.True(mean <= 3.0, $"{algorithm}: mean |scale - OpenCV area| = {mean:F2}");
        ours.Release();
        reference.Release();
        await block.DisposeAsync();
        await opencv.DisposeAsync();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Theory]
    [InlineData("\"width\": -1", "width")]
    [InlineData("\"format\": \"yuv444\"", "format")]
    [InlineData("\"algorithm\": \"sinc\"", "algorithm")]
    public void Load_BadScaleOptions_RefusedNamingTheOption(string options, string option)
    {
        var json = $$"""
            {
              "blocks": {
                "src": { "type": "testpattern" },
                "scale": { "type": "scale", "options": { {{options}} } },
                "sink": { "type": "null" }
              },
              "links": [ "src -> scale -> sink" ]
            }
            """;

        var result = PipelineLoader.Load(json, BuiltInBlocks.CreateRegistry(), Path.GetTempPath());

        var error = Assert.Single(result.Errors);
        Assert.Equal($"$.blocks.scale.options.{option}", error.Path);
    }

    [Fact]
    public void Load_ScaleWithFormatAndAlgorithm_BindsThem()
    {
        var json = """
            {
              "blocks": {
                "src": { "type": "testpattern" },
                "scale": { "type": "scale", "options": { "width": 320, "format": "i420", "algorithm": "lanczos" } },
                "sink": { "type": "null" }
              },
              "links": [ "src -> scale -> sink" ]
            }
            """;

        var definition = PipelineLoader.Load(json, BuiltInBlocks.CreateRegistry(), Path.GetTempPath()).EnsureValid();

        var options = (ScaleOptions)definition.Blocks.Single(b => b.Name == "scale").Options;
        Assert.Equal((320, 0, PixelFormat.I420, ScaleAlgorithm.Lanczos), (options.Width, options.Height, options.Format, options.Algorithm));
    }
}
