using System.Text.Json;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>Blocks chained by hand, as the engine would run them, with the engine's ownership rules.</summary>
public class BlockChainTests
{
    [Fact]
    public async Task Chain_PatternBlurResizeGrayMotionJsonl_WritesOneLinePerFrameInOrder()
    {
        const int Count = 30;
        using var context = new TestBlockContext();
        var source = await BlockHarness.StartAsync(new TestPatternBlock(new TestPatternOptions { Width = 320, Height = 240, Frames = Count }), context);
        var blur = await BlockHarness.StartAsync(new GaussianBlurBlock(new GaussianBlurOptions()), context);
        var resize = await BlockHarness.StartAsync(new ResizeBlock(new ResizeOptions { Width = 160, Height = 120, Interpolation = Interpolation.Area }), context);
        var gray = await BlockHarness.StartAsync(new GrayscaleBlock(new GrayscaleOptions()), context);
        var motion = await BlockHarness.StartAsync(new MotionBlock(new MotionOptions()), context);
        var jsonl = await BlockHarness.StartAsync(new JsonlSinkBlock(new JsonlSinkOptions { Path = "motion.jsonl" }), context);
        var stamps = new List<long>();

        foreach (var frame in await BlockHarness.ProduceAsync(source))
        {
            var blurred = await Step(blur, frame);
            var small = await Step(resize, blurred);
            var grey = await Step(gray, small);
            Assert.True(FrameIndexCode.TryRead(grey, out var stamp));
            stamps.Add(stamp);
            var record = (await BlockHarness.TransformAsync(motion, grey))!;
            grey.Release();
            await BlockHarness.ConsumeAsync(jsonl, record);
        }

        await BlockHarness.CompleteAsync(jsonl);
        await jsonl.DisposeAsync();

        Assert.Equal(Enumerable.Range(0, Count).Select(i => (long)i), stamps);
        var lines = File.ReadAllLines(Path.Combine(context.BaseDirectory, "motion.jsonl"));
        Assert.Equal(Count, lines.Length);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => (double)i), lines.Select(line => Number(line, "frame")));
        Assert.True(Number(lines[5], "meanDifference") > 0, "the scene moves");
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    private static double Number(string line, string property)
    {
        using var json = JsonDocument.Parse(line);
        return json.RootElement.GetProperty(property).GetDouble();
    }

    /// <summary>Runs a transform and releases its input afterwards, as the engine does.</summary>
    private static async Task<VideoFrame> Step<TOptions>(TransformBlock<VideoFrame, VideoFrame, TOptions> block, VideoFrame input)
        where TOptions : class
    {
        try
        {
            return (await BlockHarness.TransformAsync(block, input))!;
        }
        finally
        {
            input.Release();
        }
    }
}
