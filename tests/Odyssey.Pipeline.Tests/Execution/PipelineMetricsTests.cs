using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Odyssey.Media;
using static Odyssey.Pipeline.Tests.Execution.PipelineTestKit;

namespace Odyssey.Pipeline.Tests.Execution;

public sealed class PipelineMetricsTests
{
    private readonly VideoFramePool _pool = new();

    [Fact]
    public async Task Snapshot_AfterRun_CountsMatchWhatFlowed()
    {
        const int Count = 120;
        var definition = Graph(
            [Block<CountingSource>("src", new SourceOptions { Count = Count }), Block<PassThroughTransform>("pass", new TransformOptions()),
                Block<RecordingSink>("sink", new SinkOptions()), Block<RecordingSink>("tap", new SinkOptions())],
            Link("src.out", "pass.in", 3), Link("pass.out", "sink.in", 5), Link("pass.out", "tap.in", 2, FullMode.DropOldest));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        var metrics = result.Metrics;
        Assert.Equal(Count, BlockOf(metrics, "src").ItemsOut);
        Assert.Equal(0, BlockOf(metrics, "src").ItemsIn);
        Assert.Equal(Count, BlockOf(metrics, "pass").ItemsIn);
        Assert.Equal(Count, BlockOf(metrics, "pass").ItemsOut);
        Assert.Equal(Count, BlockOf(metrics, "sink").ItemsIn);
        Assert.Equal("test.recordingSink", BlockOf(metrics, "sink").Type);
        Assert.Equal(Count, BlockOf(metrics, "tap").ItemsIn + LinkOf(metrics, "pass.out->tap.in").Dropped);
        var first = LinkOf(metrics, "src.out->pass.in");
        Assert.Equal(3, first.Capacity);
        Assert.Equal(FullMode.Wait, first.Full);
        Assert.Equal(Count, first.Transferred);
        Assert.Equal(0, first.QueueDepth);
        Assert.Equal(FullMode.DropOldest, LinkOf(metrics, "pass.out->tap.in").Full);
        var pass = BlockOf(metrics, "pass");
        Assert.True(pass.ProcessingP50Ms > 0, "an item cannot take zero time");
        Assert.True(pass.ProcessingP99Ms >= pass.ProcessingP50Ms);
        Assert.True(pass.ItemsPerSecond > 0);
        Assert.All(metrics.Blocks, b => Assert.Equal(0, b.Errors));
    }

    [Fact]
    public async Task Snapshot_WhileASinkIsHeld_ShowsTheQueueFilling()
    {
        var source = new SourceOptions { Count = 20 };
        var sink = new SinkOptions { Probe = { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) } };
        var definition = Graph(
            [Block<CountingSource>("src", source), Block<RecordingSink>("sink", sink)],
            Link("src.out", "sink.in", 6));

        var execution = PipelineExecution.Start(definition, Options(_pool));
        await sink.Probe.Holding.Task.WaitAsync(RunTimeout);

        // Once the source has seen its 7th write return, the 8th is blocked: the figures cannot move.
        await WaitUntilAsync(() => source.Probe.Written == 7);
        var during = execution.Snapshot();
        sink.Probe.Gate!.SetResult();
        await FinishAsync(execution, _pool);

        Assert.Equal(1, BlockOf(during, "sink").ItemsIn);
        Assert.Equal(8, BlockOf(during, "src").ItemsOut);
        Assert.Equal(6, LinkOf(during, "src.out->sink.in").QueueDepth);
        Assert.Equal(7, LinkOf(during, "src.out->sink.in").Transferred);
    }

    [Fact]
    public async Task Meter_ListenerDuringRun_SeesBlockAndLinkInstrumentsTaggedWithNames()
    {
        // Names unique to this test: other tests' pipelines publish under the same meter concurrently.
        var id = Guid.NewGuid().ToString("N");
        var sourceName = "src" + id;
        var sinkName = "sink" + id;
        var linkName = $"{sourceName}.out->{sinkName}.in";
        var longs = new ConcurrentDictionary<(string Instrument, string Tag), long>();
        var histogramCount = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PipelineMeterNames.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Value is string name && (name == sourceName || name == sinkName || name == linkName))
                {
                    longs[(instrument.Name, name)] = value;
                }
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (instrument.Name == PipelineMeterNames.BlockProcessingTime && tag.Value is string name && name == sinkName)
                {
                    Interlocked.Increment(ref histogramCount);
                }
            }
        });
        listener.Start();

        var source = new SourceOptions { Count = 30 };
        var sink = new SinkOptions { Probe = { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) } };
        var definition = Graph(
            [Block<CountingSource>(sourceName, source), Block<RecordingSink>(sinkName, sink)],
            Link($"{sourceName}.out", $"{sinkName}.in", 4));
        var execution = PipelineExecution.Start(definition, Options(_pool));
        await sink.Probe.Holding.Task.WaitAsync(RunTimeout);
        await WaitUntilAsync(() => source.Probe.Written == 5);
        listener.RecordObservableInstruments();
        sink.Probe.Gate!.SetResult();
        await FinishAsync(execution, _pool);

        Assert.Equal(4, longs[(PipelineMeterNames.LinkQueueDepth, linkName)]);
        Assert.Equal(5, longs[(PipelineMeterNames.LinkTransferred, linkName)]);
        Assert.Equal(0, longs[(PipelineMeterNames.LinkDropped, linkName)]);
        Assert.Equal(1, longs[(PipelineMeterNames.BlockItemsIn, sinkName)]);
        Assert.Equal(6, longs[(PipelineMeterNames.BlockItemsOut, sourceName)]);
        Assert.Equal(0, longs[(PipelineMeterNames.BlockErrors, sinkName)]);
        // Items this fast are sampled (one in 64 after the first), but some must have been recorded.
        Assert.InRange(histogramCount, 1, 30);
    }
}
