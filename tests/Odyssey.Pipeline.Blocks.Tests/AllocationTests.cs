using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>
/// Per-frame paths that are pure managed code must not allocate in steady state. Measured on the
/// calling thread (the paths complete synchronously), as bytes, never as time.
/// </summary>
public class AllocationTests
{
    /// <summary>Room for one-off costs (the async state machine, first-use caches) that do not grow with frames.</summary>
    private const long FixedAllowance = 4096;

    [Fact]
    public async Task TestPattern_SteadyState_AllocatesNothingPerFrame()
    {
        using var context = new TestBlockContext();
        var few = await MeasureSourceAsync(context, 20);
        var many = await MeasureSourceAsync(context, 220);

        Assert.True(many - few < FixedAllowance, $"200 more frames allocated {many - few} bytes");
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Jsonl_SteadyState_AllocatesNothingPerRecord()
    {
        using var context = new TestBlockContext();
        var sink = await BlockHarness.StartAsync(new JsonlSinkBlock(new JsonlSinkOptions { Path = "a.jsonl" }), context);
        var record = new MotionRecord { Block = "m", FrameIndex = 1, MeanDifference = 1.5, MovingFraction = 0.25 };
        var consume = (SinkBlock<AnalysisRecord, JsonlSinkOptions>)sink;
        for (var i = 0; i < 10; i++)
        {
            await consume.ConsumeAsync(record, CancellationToken.None);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 500; i++)
        {
            _ = consume.ConsumeAsync(record, CancellationToken.None);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        await BlockHarness.CompleteAsync(sink);
        Assert.True(allocated < FixedAllowance, $"500 records allocated {allocated} bytes");
    }

    private static async Task<long> MeasureSourceAsync(TestBlockContext context, int frames)
    {
        var source = await BlockHarness.StartAsync(new TestPatternBlock(new TestPatternOptions { Width = 64, Height = 48, Frames = frames }), context);
        var output = new ReleasingOutput();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var run = ((SourceBlock<VideoFrame, TestPatternOptions>)source).ProduceAsync(output, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        await run.WaitAsync(BlockHarness.Timeout);
        Assert.Equal(frames, output.Count);
        return allocated;
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
