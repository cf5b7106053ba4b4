using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks.Tests;

public class TestPatternBlockTests
{
    [Fact]
    public async Task Produce_SameSeed_GivesIdenticalPixels()
    {
        using var context = new TestBlockContext();
        var first = await TestFrames.PatternAsync(context, 160, 120, count: 5, seed: 42);
        var second = await TestFrames.PatternAsync(context, 160, 120, count: 5, seed: 42);

        for (var i = 0; i < first.Count; i++)
        {
            using var a = TestFrames.ToMat(first[i]);
            using var b = TestFrames.ToMat(second[i]);
            Assert.Equal(0, TestFrames.MaxDifference(a, b));
        }

        TestFrames.ReleaseAll(first);
        TestFrames.ReleaseAll(second);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Produce_DifferentSeeds_GiveDifferentPixels()
    {
        using var context = new TestBlockContext();
        var first = await TestFrames.PatternAsync(context, 160, 120, count: 1, seed: 1);
        var second = await TestFrames.PatternAsync(context, 160, 120, count: 1, seed: 2);

        using var a = TestFrames.ToMat(first[0]);
        using var b = TestFrames.ToMat(second[0]);
        Assert.True(TestFrames.MaxDifference(a, b) > 0);

        TestFrames.ReleaseAll(first);
        TestFrames.ReleaseAll(second);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Produce_ConsecutiveFrames_Move()
    {
        using var context = new TestBlockContext();
        var frames = await TestFrames.PatternAsync(context, 160, 120, count: 2);

        using var a = TestFrames.ToMat(frames[0]);
        using var b = TestFrames.ToMat(frames[1]);
        Assert.True(TestFrames.MaxDifference(a, b) > 0);

        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Produce_FrameCount_GivesIndicesTimestampsAndSize()
    {
        using var context = new TestBlockContext();
        var before = DateTimeOffset.UtcNow;
        var source = await BlockHarness.StartAsync(new TestPatternBlock(new TestPatternOptions { Width = 96, Height = 64, Fps = 25, Frames = 10 }), context);

        var frames = await BlockHarness.ProduceAsync(source);

        Assert.Equal(10, frames.Count);
        for (var i = 0; i < frames.Count; i++)
        {
            Assert.Equal(i, frames[i].Index);
            Assert.Equal(TimeSpan.FromSeconds(i / 25.0), frames[i].Pts);
            Assert.True(frames[i].CaptureTime >= before);
            Assert.Equal((96, 64, PixelFormat.Bgr24), (frames[i].Width, frames[i].Height, frames[i].Format));
            Assert.Equal(1, frames[i].ReferenceCount);
        }

        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Produce_Duration_GivesRoundedFrameCount()
    {
        using var context = new TestBlockContext();
        var source = await BlockHarness.StartAsync(new TestPatternBlock(new TestPatternOptions { Width = 64, Height = 48, Fps = 10, Duration = 0.66 }), context);

        var frames = await BlockHarness.ProduceAsync(source);

        Assert.Equal(7, frames.Count);
        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Produce_ZeroFrames_RunsUntilStoppedAndReturnsNormally()
    {
        using var context = new TestBlockContext();
        var source = await BlockHarness.StartAsync(new TestPatternBlock(new TestPatternOptions { Width = 64, Height = 48, Frames = 0 }), context);
        using var stop = new CancellationTokenSource();

        var frames = await BlockHarness.ProduceAsync(source, stop, cancelAfter: 25);

        Assert.Equal(25, frames.Count);
        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Produce_Realtime_DeliversEveryFrameInOrder()
    {
        using var context = new TestBlockContext();
        var source = await BlockHarness.StartAsync(new TestPatternBlock(new TestPatternOptions { Width = 64, Height = 48, Fps = 200, Frames = 6, Realtime = true }), context);

        var frames = await BlockHarness.ProduceAsync(source);

        Assert.Equal([0L, 1, 2, 3, 4, 5], frames.Select(f => f.Index));
        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Theory]
    [InlineData(600.0, 61)] // a 1.67 ms period: a timer of whole milliseconds alone would run at 1000 fps
    [InlineData(30.0, 31)] // 33.3 ms: as 33 ms, 1% fast
    [InlineData(1000.0, 11)]
    public async Task Produce_Realtime_TakesExactlyTheFramesDurationOnTheClock(double fps, int frames)
    {
        var clock = new SteppingClock();
        using var context = new TestBlockContext();
        var source = await BlockHarness.StartAsync(new TestPatternBlock(new TestPatternOptions { Width = 16, Height = 12, Fps = fps, Frames = frames, Realtime = true }) { Clock = clock }, context);

        var produced = await BlockHarness.ProduceAsync(source);

        // The last frame is due (frames - 1) / fps after the first; waits are rounded up to whole
        // milliseconds, so the clock may pass that deadline by less than one.
        var due = TimeSpan.FromSeconds((frames - 1) / fps);
        Assert.InRange(clock.Elapsed, due, due + TimeSpan.FromMilliseconds(1));
        Assert.Equal(frames, produced.Count);
        TestFrames.ReleaseAll(produced);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Produce_SteadyState_ReusesPooledFrames()
    {
        using var context = new TestBlockContext();
        var source = await BlockHarness.StartAsync(new TestPatternBlock(new TestPatternOptions { Width = 64, Height = 48, Frames = 50 }), context);
        var output = new ReleasingOutput();

        await ((SourceBlock<VideoFrame, TestPatternOptions>)source).ProduceAsync(output, CancellationToken.None).WaitAsync(BlockHarness.Timeout);

        Assert.Equal(50, output.Count);
        Assert.Equal(1, context.FramePool.Allocated);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Produce_I420Format_ConvertsWithTheStampReadable()
    {
        // Needs PixelConverter (stubbed until the converter branch is merged).
        using var context = new TestBlockContext();
        var source = await BlockHarness.StartAsync(new TestPatternBlock(new TestPatternOptions { Width = 160, Height = 120, Frames = 3, Format = PixelFormat.I420 }), context);

        var frames = await BlockHarness.ProduceAsync(source);

        for (var i = 0; i < frames.Count; i++)
        {
            Assert.Equal(PixelFormat.I420, frames[i].Format);
            Assert.True(FrameIndexCode.TryRead(frames[i], out var index));
            Assert.Equal(i, index);
        }

        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public void Options_FramesAndDuration_AreRejectedTogether()
    {
        var errors = OptionsValidation.Validate(new TestPatternOptions { Frames = 10, Duration = 1 });

        var error = Assert.Single(errors);
        Assert.Equal(["frames", "duration"], error.MemberNames);
    }

    [Fact]
    public void Options_Defaults_AreValidAndGive300Frames()
    {
        var options = new TestPatternOptions();

        Assert.Empty(OptionsValidation.Validate(options));
        Assert.Equal(300, options.EffectiveFrames());
        Assert.Equal((640, 480, 30.0, PixelFormat.Bgr24), (options.Width, options.Height, options.Fps, options.Format));
    }

    private sealed class ReleasingOutput : IBlockOutput<VideoFrame>
    {
        public int Count { get; private set; }

        public bool IsConnected => true;

        public ValueTask WriteAsync(VideoFrame item, CancellationToken cancellationToken)
        {
            Count++;
            item.Release();
            return ValueTask.CompletedTask;
        }
    }
}
