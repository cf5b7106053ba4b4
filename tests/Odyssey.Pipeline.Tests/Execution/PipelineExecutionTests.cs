using Odyssey.Media;
using static Odyssey.Pipeline.Tests.Execution.PipelineTestKit;

namespace Odyssey.Pipeline.Tests.Execution;

public sealed class PipelineExecutionTests
{
    private readonly VideoFramePool _pool = new();

    [Fact]
    public async Task Run_SourceTransformSink_EveryItemArrivesInOrderAndEverythingIsCalledOnce()
    {
        var source = new SourceOptions { Count = 100 };
        var transform = new TransformOptions();
        var sink = new SinkOptions();
        var definition = Graph(
            [Block<CountingSource>("src", source), Block<PassThroughTransform>("pass", transform), Block<RecordingSink>("sink", sink)],
            Link("src.out", "pass.in"), Link("pass.out", "sink.in"));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.Null(result.Fault);
        Assert.False(result.Stopped);
        Assert.Equal(Sequence(0, 100), sink.Probe.Received);
        Assert.Equal(1, sink.Probe.StartCalls);
        Assert.Equal(1, sink.Probe.CompleteCalls);
        Assert.Equal(1, sink.Probe.DisposeCalls);
        Assert.Equal(1, transform.Probe.DisposeCalls);
    }

    [Fact]
    public async Task WaitLink_FastSourceSlowSink_SourceBlocksQueueStaysWithinCapacityNothingDropped()
    {
        const int Capacity = 4;
        const int Count = 60;
        var source = new SourceOptions { Count = Count };
        var sink = new SinkOptions { DelayMs = 1, Probe = { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) } };
        var definition = Graph(
            [Block<CountingSource>("src", source), Block<RecordingSink>("sink", sink)],
            Link("src.out", "sink.in", Capacity, FullMode.Wait));

        var execution = PipelineExecution.Start(definition, Options(_pool));

        // Hold the sink on its first item until the queue is full: the source must then be blocked,
        // having written the held item plus a full queue and no more.
        await sink.Probe.Holding.Task.WaitAsync(RunTimeout);
        await WaitUntilAsync(() => LinkOf(execution.Snapshot(), "src.out->sink.in").QueueDepth == Capacity);
        Assert.True(source.Probe.Written <= Capacity + 1, $"source wrote {source.Probe.Written} items past a full link of {Capacity}");
        sink.Probe.Gate!.SetResult();

        var maxDepth = 0;
        while (!execution.Completion.IsCompleted)
        {
            maxDepth = Math.Max(maxDepth, LinkOf(execution.Snapshot(), "src.out->sink.in").QueueDepth);
            await Task.Delay(1);
        }

        var result = await FinishAsync(execution, _pool);
        Assert.Null(result.Fault);
        Assert.InRange(maxDepth, 0, Capacity);
        Assert.Equal(Sequence(0, Count), sink.Probe.Received);
        var link = LinkOf(result.Metrics, "src.out->sink.in");
        Assert.Equal(0, link.Dropped);
        Assert.Equal(Count, link.Transferred);
        Assert.Equal(0, link.QueueDepth);
    }

    [Theory]
    [InlineData(FullMode.DropOldest)]
    [InlineData(FullMode.DropNewest)]
    public async Task LeakyLink_StalledThenReleasedSink_DropsAreCountedAndTheRightEndIsKept(FullMode mode)
    {
        const int Capacity = 4;
        const int Count = 100;
        var source = new SourceOptions { Count = Count };
        var sink = new SinkOptions { Probe = { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) } };
        var definition = Graph(
            [Block<CountingSource>("src", source), Block<RecordingSink>("sink", sink)],
            Link("src.out", "sink.in", Capacity, mode));

        var execution = PipelineExecution.Start(definition, Options(_pool));
        await source.Probe.Done.Task.WaitAsync(RunTimeout);
        sink.Probe.Gate!.SetResult();
        var result = await FinishAsync(execution, _pool);

        Assert.Null(result.Fault);
        Assert.Equal(Count, source.Probe.Written);
        var received = sink.Probe.Received.ToArray();
        var link = LinkOf(result.Metrics, "src.out->sink.in");
        Assert.Equal(Count - received.Length, link.Dropped);
        Assert.True(link.Dropped > 0, "a stalled sink behind a leaky link of 4 must have lost some of 100 items");
        Assert.Equal(received.Order(), received);
        if (mode == FullMode.DropOldest)
        {
            // Whatever the sink took before it stalled, the queue it found afterwards held the newest.
            Assert.Equal(Sequence(Count - Capacity, Capacity), received[^Capacity..]);
        }
        else
        {
            // The arriving items were dropped, so the queue the sink stalled behind holds the stream's
            // beginning. One later item may follow: when the sink took its first item (before or after
            // the queue filled, as the threads happen to run) one slot freed for whatever arrived next.
            Assert.Equal(Sequence(0, Capacity), received[..Capacity]);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ParallelTransform_RandomDelays_RunsConcurrentlyAndKeepsInputOrder(bool dataflow)
    {
        var strategy = dataflow ? ParallelTransformStrategy.Dataflow : ParallelTransformStrategy.Channels;
        const int Parallelism = 4;
        const int Count = 200;
        var source = new SourceOptions { Count = Count };
        var transform = new TransformOptions { MaxRandomDelayMs = 2, Rendezvous = Parallelism };
        var sink = new SinkOptions();
        var definition = Graph(
            [Block<CountingSource>("src", source), Block<PassThroughTransform>("pass", transform, Parallelism), Block<RecordingSink>("sink", sink)],
            Link("src.out", "pass.in"), Link("pass.out", "sink.in"));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool, strategy)), _pool);

        Assert.Null(result.Fault);
        Assert.Equal(Sequence(0, Count), sink.Probe.Received);
        Assert.InRange(transform.Probe.MaxInFlight, Parallelism, Parallelism);
        Assert.Equal(Count, BlockOf(result.Metrics, "pass").ItemsOut);
    }

    [Fact]
    public async Task FanOut_TwoSinksOnOneOutput_EachGetsEveryItemAndReferencesBalance()
    {
        const int Count = 50;
        var source = new SourceOptions { Count = Count };
        var first = new SinkOptions();
        var second = new SinkOptions { DelayMs = 1 };
        var definition = Graph(
            [Block<CountingSource>("src", source), Block<RecordingSink>("a", first), Block<RecordingSink>("b", second)],
            Link("src.out", "a.in", 2), Link("src.out", "b.in", 2));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        // An over-release would throw inside the pool's frame and fault the run; an under-release
        // leaves Outstanding above zero (checked by FinishAsync).
        Assert.Null(result.Fault);
        Assert.Equal(Sequence(0, Count), first.Probe.Received);
        Assert.Equal(Sequence(0, Count), second.Probe.Received);
        Assert.Equal(Count, BlockOf(result.Metrics, "src").ItemsOut);
    }

    [Fact]
    public async Task FanIn_TwoSourcesIntoOneSink_AllArriveAndTheSinkCompletesAfterBoth()
    {
        var fast = new SourceOptions { Count = 50 };
        var slow = new SourceOptions { Count = 30, FirstIndex = 1000, DelayMs = 1 };
        var sink = new SinkOptions();
        var definition = Graph(
            [Block<CountingSource>("fast", fast), Block<CountingSource>("slow", slow), Block<RecordingSink>("sink", sink)],
            Link("fast.out", "sink.in", 2), Link("slow.out", "sink.in", 2));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.Null(result.Fault);
        var received = sink.Probe.Received.ToArray();
        Assert.Equal(Sequence(0, 50), received.Where(i => i < 1000));
        Assert.Equal(Sequence(1000, 30), received.Where(i => i >= 1000));
        Assert.Equal(1, sink.Probe.CompleteCalls);
        Assert.Equal(80, BlockOf(result.Metrics, "sink").ItemsIn);
    }

    [Fact]
    public async Task TransformFault_ThrowsOnItemFive_FaultNamesItOthersCancelledSinkFinalisedOnce()
    {
        var source = new SourceOptions { Count = -1 };
        var transform = new TransformOptions { ThrowOnIndex = 5 };
        var sink = new SinkOptions();
        var definition = Graph(
            [Block<CountingSource>("src", source), Block<PassThroughTransform>("boom", transform), Block<RecordingSink>("sink", sink)],
            Link("src.out", "boom.in", 4), Link("boom.out", "sink.in", 4));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.NotNull(result.Fault);
        Assert.Equal("boom", result.Fault.Block);
        Assert.Equal("run", result.Fault.Phase);
        Assert.IsType<InvalidOperationException>(result.Fault.Exception);
        Assert.False(result.Succeeded);
        Assert.True(source.Probe.SawCancellation, "the endless source was not cancelled");
        Assert.Equal(1, sink.Probe.CompleteCalls);
        Assert.Equal(Sequence(0, 5), sink.Probe.Received);
        Assert.Equal(1, BlockOf(result.Metrics, "boom").Errors);
        Assert.Equal(0, BlockOf(result.Metrics, "sink").Errors);
        Assert.Equal(1, sink.Probe.DisposeCalls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ParallelTransformFault_WorkerThrows_FaultNamesItAndEverythingIsReleased(bool dataflow)
    {
        var source = new SourceOptions { Count = -1 };
        var sink = new SinkOptions();
        var definition = Graph(
            [Block<CountingSource>("src", source), Block<PassThroughTransform>("boom", new TransformOptions { ThrowOnIndex = 50, MaxRandomDelayMs = 1 }, 3),
                Block<RecordingSink>("sink", sink)],
            Link("src.out", "boom.in", 4), Link("boom.out", "sink.in", 4));
        var options = Options(_pool, dataflow ? ParallelTransformStrategy.Dataflow : ParallelTransformStrategy.Channels);

        var result = await FinishAsync(PipelineExecution.Start(definition, options), _pool);

        Assert.Equal("boom", result.Fault?.Block);
        Assert.Equal("run", result.Fault?.Phase);
        Assert.Equal(1, sink.Probe.CompleteCalls);
        Assert.True(source.Probe.SawCancellation);
        var received = sink.Probe.Received.ToArray();
        Assert.Equal(Sequence(0, received.Length), received);
        Assert.InRange(received.Length, 0, 50);
    }

    [Fact]
    public async Task SinkFault_UpstreamBlockedOnAFullLink_IsWokenAndTheRunEnds()
    {
        var source = new SourceOptions { Count = -1 };
        var fanIn = new SourceOptions { Count = -1, FirstIndex = 1_000_000 };
        var sink = new SinkOptions { ThrowOnIndex = 20, DelayMs = 1 };
        var definition = Graph(
            [Block<CountingSource>("src", source), Block<CountingSource>("other", fanIn), Block<PassThroughTransform>("pass", new TransformOptions()),
                Block<RecordingSink>("sink", sink)],
            Link("src.out", "pass.in", 1), Link("pass.out", "sink.in", 1), Link("other.out", "sink.in", 1, FullMode.DropOldest));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.Equal("sink", result.Fault?.Block);
        Assert.Equal("run", result.Fault?.Phase);
        Assert.IsType<InvalidDataException>(result.Fault?.Exception);
        Assert.Equal(1, sink.Probe.CompleteCalls);
        Assert.True(source.Probe.SawCancellation);
        Assert.True(fanIn.Probe.SawCancellation);
        Assert.All(result.Metrics.Links, l => Assert.Equal(0, l.QueueDepth));
    }

    [Fact]
    public async Task StartFault_SinkFailsToStart_PhaseStartAndNothingFlows()
    {
        var source = new SourceOptions { Count = 10 };
        var transform = new TransformOptions();
        var sink = new SinkOptions { FailOnStart = true };
        var definition = Graph(
            [Block<CountingSource>("src", source), Block<PassThroughTransform>("pass", transform), Block<RecordingSink>("sink", sink)],
            Link("src.out", "pass.in"), Link("pass.out", "sink.in"));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.NotNull(result.Fault);
        Assert.Equal("sink", result.Fault.Block);
        Assert.Equal("start", result.Fault.Phase);
        Assert.Equal(0, source.Probe.ProduceCalls);
        Assert.Empty(transform.Probe.Received);
        Assert.Empty(sink.Probe.Received);
        Assert.Equal(0, sink.Probe.CompleteCalls);
        Assert.Equal(1, transform.Probe.DisposeCalls);
        Assert.Equal(1, sink.Probe.DisposeCalls);
    }

    [Fact]
    public async Task StartFault_TransformFailsToStart_StartedSinkIsStillFinalised()
    {
        var sink = new SinkOptions();
        var definition = Graph(
            [Block<CountingSource>("src", new SourceOptions()), Block<RecordingSink>("sink", sink), Block<PassThroughTransform>("pass", new TransformOptions { FailOnStart = true })],
            Link("src.out", "pass.in"), Link("pass.out", "sink.in"));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.Equal("pass", result.Fault?.Block);
        Assert.Equal("start", result.Fault?.Phase);
        Assert.Equal(1, sink.Probe.CompleteCalls);
        Assert.Empty(sink.Probe.Received);
    }

    [Fact]
    public async Task CompleteFault_SinkFailsToFinalise_PhaseComplete()
    {
        var sink = new SinkOptions { FailOnComplete = true };
        var definition = Graph(
            [Block<CountingSource>("src", new SourceOptions { Count = 3 }), Block<RecordingSink>("sink", sink)],
            Link("src.out", "sink.in"));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.Equal("sink", result.Fault?.Block);
        Assert.Equal("complete", result.Fault?.Phase);
        Assert.IsType<IOException>(result.Fault?.Exception);
        Assert.Equal(3, sink.Probe.Received.Count);
    }

    [Theory]
    [InlineData(FullMode.Wait, false)]
    [InlineData(FullMode.DropOldest, false)]
    [InlineData(FullMode.Wait, true)]
    public async Task Stop_EndlessSource_DrainsFinalisesOnceAndAccountsForEveryItem(FullMode mode, bool useStopToken)
    {
        var source = new SourceOptions { Count = -1 };
        var sink = new SinkOptions { DelayMs = 1 };
        var definition = Graph(
            [Block<CountingSource>("src", source), Block<PassThroughTransform>("pass", new TransformOptions()), Block<RecordingSink>("sink", sink)],
            Link("src.out", "pass.in", 4, mode), Link("pass.out", "sink.in", 4, mode));
        using var stop = new CancellationTokenSource();

        var execution = PipelineExecution.Start(definition, Options(_pool), stop.Token);
        await WaitUntilAsync(() => sink.Probe.Received.Count >= 20);
        if (useStopToken)
        {
            await stop.CancelAsync();
        }
        else
        {
            execution.Stop();
            execution.Stop();
        }

        var result = await FinishAsync(execution, _pool);

        Assert.Null(result.Fault);
        Assert.True(result.Stopped);
        Assert.Equal(1, sink.Probe.CompleteCalls);
        Assert.True(source.Probe.SawCancellation);
        var dropped = result.Metrics.Links.Sum(l => l.Dropped);
        Assert.Equal(source.Probe.Written, sink.Probe.Received.Count + dropped);
        Assert.All(result.Metrics.Links, l => Assert.Equal(0, l.QueueDepth));
        Assert.All(result.Metrics.Links, l => Assert.Equal(0, l.Discarded));
    }

    [Fact]
    public async Task InputOfBaseType_VideoFramesIntoAnIRefCountedSink_ArriveThroughTheUpcast()
    {
        var sink = new SinkOptions();
        var definition = Graph(
            [Block<CountingSource>("src", new SourceOptions { Count = 20 }), Block<AnySink>("any", sink)],
            Link("src.out", "any.in"));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.Null(result.Fault);
        Assert.Equal(Sequence(0, 20), sink.Probe.Received);
    }

    [Fact]
    public async Task CustomBlock_ForwardsThroughDeclaredPorts_AllArrive()
    {
        var custom = new CustomOptions();
        var sink = new SinkOptions();
        var definition = Graph(
            [Block<CountingSource>("src", new SourceOptions { Count = 30 }), Block<ForwardingCustomBlock>("fwd", custom), Block<RecordingSink>("sink", sink)],
            Link("src.out", "fwd.frames"), Link("fwd.copy", "sink.in"));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.Null(result.Fault);
        Assert.Equal(Sequence(0, 30), sink.Probe.Received);
        Assert.Equal(30, BlockOf(result.Metrics, "fwd").ItemsIn);
        Assert.Equal(30, BlockOf(result.Metrics, "fwd").ItemsOut);
    }

    [Fact]
    public async Task CustomBlock_ReturnsEarly_RestOfItsInputIsDiscardedAndCountedNotBlocked()
    {
        var source = new SourceOptions { Count = 100 };
        var sink = new SinkOptions();
        var definition = Graph(
            [Block<CountingSource>("src", source), Block<ForwardingCustomBlock>("fwd", new CustomOptions { StopAfter = 10 }), Block<RecordingSink>("sink", sink)],
            Link("src.out", "fwd.frames", 2), Link("fwd.copy", "sink.in"));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.Null(result.Fault);
        Assert.Equal(Sequence(0, 10), sink.Probe.Received);
        Assert.Equal(100, source.Probe.Written);
        Assert.Equal(90, BlockOf(result.Metrics, "fwd").ItemsDiscarded);
    }

    [Fact]
    public async Task UnconnectedOutput_TransformWithNothingDownstream_ItemsCountedAsWrittenAndReleased()
    {
        var transform = new TransformOptions();
        var definition = Graph(
            [Block<CountingSource>("src", new SourceOptions { Count = 25 }), Block<PassThroughTransform>("pass", transform)],
            Link("src.out", "pass.in"));

        var result = await FinishAsync(PipelineExecution.Start(definition, Options(_pool)), _pool);

        Assert.Null(result.Fault);
        Assert.Equal(Sequence(0, 25), transform.Probe.Received);
        Assert.Equal(25, BlockOf(result.Metrics, "pass").ItemsOut);
    }

    [Fact]
    public void Start_LinkToUnknownPort_ThrowsNamingTheLink()
    {
        var definition = Graph(
            [Block<CountingSource>("src", new SourceOptions()), Block<RecordingSink>("sink", new SinkOptions())],
            Link("src.out", "sink.nope"));

        var error = Assert.Throws<ArgumentException>(() => PipelineExecution.Start(definition, Options(_pool)));
        Assert.Contains("sink.nope", error.Message, StringComparison.Ordinal);
    }
}
