using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks.Tests;

public class AnalysisBlockTests
{
    [Fact]
    public async Task Motion_IdenticalFrames_ReportsZero()
    {
        using var context = new TestBlockContext("mover");
        var frame = await OpenCvTransformTests.InputAsync(context, PixelFormat.Bgr24);
        var block = await BlockHarness.StartAsync(new MotionBlock(new MotionOptions()), context);

        var records = await BlockHarness.TransformAllAsync(block, [frame, frame, frame]);

        Assert.All(records, r => Assert.Equal((0.0, 0.0), (((MotionRecord)r).MeanDifference, ((MotionRecord)r).MovingFraction)));
        Assert.All(records, r => Assert.Equal(("mover", "motion", frame.Index), (r.Block, r.Kind, r.FrameIndex)));
        frame.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Motion_ShiftedFrame_ReportsDifferenceAndMovingPixels()
    {
        using var context = new TestBlockContext();
        var first = TestFrames.Uniform(context.FramePool, 100, 80, PixelFormat.Gray8, 0, index: 0);
        var second = TestFrames.Uniform(context.FramePool, 100, 80, PixelFormat.Gray8, 0, index: 1);

        // A 20x20 white square that moves 10 pixels right: 2 x 10x20 pixels change by 255.
        Fill(first, 10, 10, 20, 20, 255);
        Fill(second, 20, 10, 20, 20, 255);
        var block = await BlockHarness.StartAsync(new MotionBlock(new MotionOptions { PixelThreshold = 25 }), context);

        var records = (await BlockHarness.TransformAllAsync(block, [first, second])).Cast<MotionRecord>().ToList();

        Assert.Equal((0.0, 0.0), (records[0].MeanDifference, records[0].MovingFraction));
        Assert.Equal(400.0 / 8000, records[1].MovingFraction, 9);
        Assert.Equal(400.0 * 255 / 8000, records[1].MeanDifference, 9);
        Assert.Equal(1, records[1].FrameIndex);
        first.Release();
        second.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Motion_SmallChange_IsBelowThePixelThreshold()
    {
        using var context = new TestBlockContext();
        var first = TestFrames.Uniform(context.FramePool, 64, 48, PixelFormat.Nv12, 100);
        var second = TestFrames.Uniform(context.FramePool, 64, 48, PixelFormat.Nv12, 110);
        var block = await BlockHarness.StartAsync(new MotionBlock(new MotionOptions { PixelThreshold = 25 }), context);

        var records = (await BlockHarness.TransformAllAsync(block, [first, second])).Cast<MotionRecord>().ToList();

        Assert.Equal(10.0, records[1].MeanDifference, 9);
        Assert.Equal(0.0, records[1].MovingFraction);
        first.Release();
        second.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Theory]
    [InlineData(PixelFormat.Gray8)]
    [InlineData(PixelFormat.Bgr24)]
    [InlineData(PixelFormat.Rgb24)]
    [InlineData(PixelFormat.I420)]
    [InlineData(PixelFormat.Nv12)]
    public async Task Brightness_UniformFrame_ReportsItsValueAndOneFullBin(PixelFormat format)
    {
        using var context = new TestBlockContext();
        var frame = TestFrames.Uniform(context.FramePool, 64, 48, format, 100, index: 9);
        var block = await BlockHarness.StartAsync(new BrightnessBlock(new BrightnessOptions()), context);

        var record = (BrightnessRecord)(await BlockHarness.TransformAsync(block, frame))!;

        Assert.Equal(100.0, record.Mean, 9);
        Assert.Equal(16, record.Histogram.Length);
        Assert.Equal(64 * 48, record.Histogram[100 * 16 / 256]);
        Assert.Equal(64 * 48, record.Histogram.Sum());
        Assert.Equal(9, record.FrameIndex);
        frame.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Brightness_TwoHalves_SplitBetweenBins()
    {
        using var context = new TestBlockContext();
        var frame = TestFrames.Uniform(context.FramePool, 64, 48, PixelFormat.Gray8, 0);
        Fill(frame, 0, 0, 32, 48, 255);
        var block = await BlockHarness.StartAsync(new BrightnessBlock(new BrightnessOptions { Bins = 2 }), context);

        var record = (BrightnessRecord)(await BlockHarness.TransformAsync(block, frame))!;

        Assert.Equal(127.5, record.Mean, 9);
        Assert.Equal([32L * 48, 32L * 48], record.Histogram.ToArray());
        frame.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task SceneChange_AbruptChange_IsTheOnlyCut()
    {
        using var context = new TestBlockContext();
        var frames = await TestFrames.PatternAsync(context, 320, 240, count: 12);

        // From frame 6 on the scene is darkened to a quarter: a cut at 6, continuity elsewhere.
        for (var i = 6; i < frames.Count; i++)
        {
            foreach (ref var value in frames[i].GetPlane(0))
            {
                value = (byte)(value / 4);
            }
        }

        var block = await BlockHarness.StartAsync(new SceneChangeBlock(new SceneChangeOptions()), context);

        var records = (await BlockHarness.TransformAllAsync(block, frames)).Cast<SceneChangeRecord>().ToList();

        Assert.Equal([6L], records.Where(r => r.Cut).Select(r => r.FrameIndex));
        Assert.Equal(0, records[0].Distance);
        Assert.True(records[6].Distance > 0.5);
        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public void Bhattacharyya_SameAsOpenCvCompareHist()
    {
        long[] first = [10, 20, 30, 0, 40];
        long[] second = [5, 25, 10, 30, 30];
        using var a = Mat.FromPixelData(5, 1, MatType.CV_32FC1, first.Select(v => (float)v).ToArray());
        using var b = Mat.FromPixelData(5, 1, MatType.CV_32FC1, second.Select(v => (float)v).ToArray());

        var expected = Cv2.CompareHist(a, b, HistCompMethods.Bhattacharyya);

        Assert.Equal(expected, SceneChangeBlock.Bhattacharyya(first, first.Sum(), second, second.Sum()), 5);
    }

    [Fact]
    public async Task AnalysisRecords_WriteTo_EmitTheirValues()
    {
        using var context = new TestBlockContext("b");
        var frame = TestFrames.Uniform(context.FramePool, 64, 48, PixelFormat.Gray8, 10, index: 4);
        var block = await BlockHarness.StartAsync(new BrightnessBlock(new BrightnessOptions { Bins = 4 }), context);
        var record = (await BlockHarness.TransformAsync(block, frame))!;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();

        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            record.WriteTo(writer);
        }

        using var json = System.Text.Json.JsonDocument.Parse(buffer.WrittenMemory);
        Assert.Equal("brightness", json.RootElement.GetProperty("kind").GetString());
        Assert.Equal(4, json.RootElement.GetProperty("frame").GetInt64());
        Assert.Equal(10.0, json.RootElement.GetProperty("mean").GetDouble());
        Assert.Equal(4, json.RootElement.GetProperty("histogram").GetArrayLength());
        frame.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(31, 25)]
    [InlineData(100, 0)]
    [InlineData(5000, 25)]
    [InlineData(40_000, 254)]
    public void FrameDifference_RandomRows_MatchesThePlainLoop(int length, int threshold)
    {
        var random = new Random(length);
        var current = new byte[length];
        var previous = new byte[length];
        random.NextBytes(current);
        random.NextBytes(previous);
        long expectedSum = 0;
        long expectedMoving = 0;
        for (var x = 0; x < length; x++)
        {
            var difference = Math.Abs(current[x] - previous[x]);
            expectedSum += difference;
            expectedMoving += difference > threshold ? 1 : 0;
        }

        long sum = 0;
        long moving = 0;
        FrameDifference.Accumulate(current, previous, threshold, ref sum, ref moving);

        Assert.Equal((expectedSum, expectedMoving), (sum, moving));
    }

    [Fact]
    public async Task Brightness_NoiseFrame_MatchesACountedHistogram()
    {
        using var context = new TestBlockContext();
        var frame = context.FramePool.Rent(333, 77, PixelFormat.Gray8);
        new Random(3).NextBytes(frame.GetPlane(0));
        var expected = new long[256];
        long total = 0;
        for (var y = 0; y < frame.Height; y++)
        {
            foreach (var value in frame.GetRow(0, y))
            {
                expected[value]++;
                total += value;
            }
        }

        var block = await BlockHarness.StartAsync(new BrightnessBlock(new BrightnessOptions { Bins = 256 }), context);
        var record = (BrightnessRecord)(await BlockHarness.TransformAsync(block, frame))!;

        Assert.Equal(expected, record.Histogram.ToArray());
        Assert.Equal((double)total / (333 * 77), record.Mean, 9);
        frame.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    private static void Fill(VideoFrame frame, int left, int top, int width, int height, byte value)
    {
        for (var y = top; y < top + height; y++)
        {
            frame.GetRow(0, y).Slice(left, width).Fill(value);
        }
    }
}
