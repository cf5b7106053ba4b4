using Odyssey.Media;
using static Odyssey.Pipeline.Tests.Execution.PipelineTestKit;

namespace Odyssey.Pipeline.Tests.Execution;

public sealed class ObserverOptions
{
    public PipelineResult? Seen { get; set; }

    public PipelineDefinition? Pipeline { get; set; }

    public long LiveItemsIn { get; set; } = -1;

    public bool Disposed { get; set; }

    public bool DisposedBeforeNotified { get; set; }

    public bool Fail { get; set; }
}

/// <summary>A sink that describes the run: it reads live figures while consuming and the result at the end.</summary>
[Block("test.observer")]
public sealed class ObserverSink(ObserverOptions options) : SinkBlock<VideoFrame, ObserverOptions>(options), IRunEndedObserver
{
    protected internal override ValueTask ConsumeAsync(VideoFrame item, CancellationToken cancellationToken)
    {
        Options.Pipeline = Context.Pipeline;
        Options.LiveItemsIn = BlockOf(Context.GetMetrics(), Name).ItemsIn;
        return ValueTask.CompletedTask;
    }

    public ValueTask RunEndedAsync(PipelineResult result, CancellationToken cancellationToken)
    {
        Options.DisposedBeforeNotified = Options.Disposed;
        Options.Seen = result;
        return Options.Fail ? throw new IOException("test: report not written") : ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        Options.Disposed = true;
        return base.DisposeAsync();
    }
}

public sealed class RunEndedObserverTests
{
    private readonly VideoFramePool _pool = new();

    [Fact]
    public async Task Observer_RunCompletes_GetsFinalFiguresBeforeDisposalAndSawLiveOnesWhileRunning()
    {
        var observer = new ObserverOptions();
        var definition = Graph(
            [Block<CountingSource>("src", new SourceOptions { Count = 25 }), Block<PassThroughTransform>("pass", new TransformOptions()), Block<ObserverSink>("watch", observer)],
            Link("src.out", "pass.in"), Link("pass.out", "watch.in"));

        await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.NotNull(observer.Seen);
        Assert.True(observer.Seen.Succeeded);
        Assert.Equal(25, BlockOf(observer.Seen.Metrics, "pass").ItemsOut);
        Assert.Equal(25, BlockOf(observer.Seen.Metrics, "watch").ItemsIn);
        Assert.False(observer.DisposedBeforeNotified);
        Assert.True(observer.Disposed);
        Assert.Same(definition, observer.Pipeline);
        Assert.Equal(25, observer.LiveItemsIn); // counted in before the item is consumed
    }

    [Fact]
    public async Task Observer_Throws_BecomesTheRunsFaultInPhaseComplete()
    {
        var definition = Graph(
            [Block<CountingSource>("src", new SourceOptions { Count = 3 }), Block<ObserverSink>("watch", new ObserverOptions { Fail = true })],
            Link("src.out", "watch.in"));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.NotNull(result.Fault);
        Assert.Equal("watch", result.Fault.Block);
        Assert.Equal("complete", result.Fault.Phase);
        Assert.IsType<IOException>(result.Fault.Exception);
    }
}
