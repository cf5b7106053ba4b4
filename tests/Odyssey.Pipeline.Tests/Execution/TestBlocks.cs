using System.Collections.Concurrent;
using Odyssey.Media;

namespace Odyssey.Pipeline.Tests.Execution;

/// <summary>What a test block saw and did, shared between the test and the block through its options.</summary>
public sealed class Probe
{
    private long _written;
    private long _rejected;
    private int _startCalls;
    private int _produceCalls;
    private int _completeCalls;
    private int _disposeCalls;
    private int _inFlight;
    private int _maxInFlight;

    /// <summary>Indices in the order the block took them.</summary>
    public ConcurrentQueue<long> Received { get; } = new();

    /// <summary>Set when a source's ProduceAsync returns (or a sink first blocks on its gate).</summary>
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when a gated sink is holding its first item.</summary>
    public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When set, a sink waits for it before consuming each item.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>True when the token a block got was cancelled when it returned.</summary>
    public bool SawCancellation { get; set; }

    public long Written => Interlocked.Read(ref _written);

    public long Rejected => Interlocked.Read(ref _rejected);

    public int StartCalls => Volatile.Read(ref _startCalls);

    public int ProduceCalls => Volatile.Read(ref _produceCalls);

    public int CompleteCalls => Volatile.Read(ref _completeCalls);

    public int DisposeCalls => Volatile.Read(ref _disposeCalls);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public void CountWritten() => Interlocked.Increment(ref _written);

    public void CountRejected() => Interlocked.Increment(ref _rejected);

    public void CountStart() => Interlocked.Increment(ref _startCalls);

    public void CountProduce() => Interlocked.Increment(ref _produceCalls);

    public void CountComplete() => Interlocked.Increment(ref _completeCalls);

    public void CountDispose() => Interlocked.Increment(ref _disposeCalls);

    public void Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }
    }

    public void Leave() => Interlocked.Decrement(ref _inFlight);
}

public sealed class SourceOptions
{
    /// <summary>Items to produce; negative means until stopped.</summary>
    public long Count { get; set; } = 10;

    public long FirstIndex { get; set; }

    public int DelayMs { get; set; }

    public Probe Probe { get; set; } = new();
}

/// <summary>Rents a real 4x4 frame per item from the pipeline's pool and numbers it.</summary>
[Block("test.countingSource")]
public sealed class CountingSource(SourceOptions options) : SourceBlock<VideoFrame, SourceOptions>(options)
{
    protected internal override async Task ProduceAsync(IBlockOutput<VideoFrame> output, CancellationToken cancellationToken)
    {
        Options.Probe.CountProduce();
        try
        {
            for (var i = 0L; Options.Count < 0 || i < Options.Count; i++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    Options.Probe.SawCancellation = true;
                    return;
                }

                if (Options.DelayMs > 0)
                {
                    await Task.Delay(Options.DelayMs, CancellationToken.None);
                }

                var frame = Context.FramePool.Rent(4, 4, PixelFormat.Gray8);
                frame.Index = Options.FirstIndex + i;
                try
                {
                    await output.WriteAsync(frame, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // The engine took the reference and released it; the item was not written.
                    Options.Probe.CountRejected();
                    Options.Probe.SawCancellation = true;
                    throw;
                }

                Options.Probe.CountWritten();
            }
        }
        finally
        {
            Options.Probe.Done.TrySetResult();
        }
    }
}

public sealed class TransformOptions
{
    /// <summary>Throws on the item with this index; -1 never.</summary>
    public long ThrowOnIndex { get; set; } = -1;

    public bool FailOnStart { get; set; }

    /// <summary>Random delay per item, up to this many milliseconds.</summary>
    public int MaxRandomDelayMs { get; set; }

    /// <summary>The first this-many items wait until all of them are inside TransformAsync at once.</summary>
    public int Rendezvous { get; set; }

    public Probe Probe { get; set; } = new();
}

/// <summary>Forwards its input (adding a reference, as the ownership rules say).</summary>
[Block("test.passThrough", ThreadSafe = true)]
public sealed class PassThroughTransform(TransformOptions options) : TransformBlock<VideoFrame, VideoFrame, TransformOptions>(options)
{
    private readonly TaskCompletionSource _allArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;

    protected internal override ValueTask StartAsync(CancellationToken cancellationToken)
    {
        Options.Probe.CountStart();
        return Options.FailOnStart ? throw new InvalidOperationException("test: start failure") : ValueTask.CompletedTask;
    }

    protected internal override async ValueTask<VideoFrame?> TransformAsync(VideoFrame input, CancellationToken cancellationToken)
    {
        Options.Probe.Enter();
        try
        {
            Options.Probe.Received.Enqueue(input.Index);
            if (input.Index == Options.ThrowOnIndex)
            {
                throw new InvalidOperationException($"test: item {input.Index}");
            }

            if (Options.Rendezvous > 0 && input.Index < Options.Rendezvous)
            {
                if (Interlocked.Increment(ref _arrived) == Options.Rendezvous)
                {
                    _allArrived.TrySetResult();
                }

                // A serial engine never gets all of them in at once: this then fails rather than hangs.
                await _allArrived.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            }

            if (Options.MaxRandomDelayMs > 0)
            {
                await Task.Delay(Random.Shared.Next(Options.MaxRandomDelayMs + 1), cancellationToken);
            }

            input.AddRef();
            return input;
        }
        finally
        {
            Options.Probe.Leave();
        }
    }

    public override ValueTask DisposeAsync()
    {
        Options.Probe.CountDispose();
        return base.DisposeAsync();
    }
}

public sealed class SinkOptions
{
    public int DelayMs { get; set; }

    public bool FailOnStart { get; set; }

    public bool FailOnComplete { get; set; }

    /// <summary>Throws when consuming the item with this index; -1 never.</summary>
    public long ThrowOnIndex { get; set; } = -1;

    public Probe Probe { get; set; } = new();
}

/// <summary>Records what arrives; optionally slow or held at a gate.</summary>
[Block("test.recordingSink")]
public sealed class RecordingSink(SinkOptions options) : SinkBlock<VideoFrame, SinkOptions>(options)
{
    protected internal override ValueTask StartAsync(CancellationToken cancellationToken)
    {
        Options.Probe.CountStart();
        return Options.FailOnStart ? throw new InvalidOperationException("test: start failure") : ValueTask.CompletedTask;
    }

    protected internal override async ValueTask ConsumeAsync(VideoFrame item, CancellationToken cancellationToken)
    {
        if (item.ReferenceCount < 1)
        {
            throw new InvalidOperationException($"item {item.Index} arrived already released");
        }

        if (item.Index == Options.ThrowOnIndex)
        {
            throw new InvalidDataException($"test: cannot consume item {item.Index}");
        }

        if (Options.Probe.Gate is { } gate)
        {
            Options.Probe.Holding.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (Options.DelayMs > 0)
        {
            await Task.Delay(Options.DelayMs, cancellationToken);
        }

        Options.Probe.Received.Enqueue(item.Index);
    }

    protected internal override ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        Options.Probe.CountComplete();
        return Options.FailOnComplete ? throw new IOException("test: could not finalise") : ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        Options.Probe.CountDispose();
        return base.DisposeAsync();
    }
}

/// <summary>Takes anything reference counted: an input whose type is a base of what arrives.</summary>
[Block("test.anySink")]
public sealed class AnySink(SinkOptions options) : SinkBlock<IRefCounted, SinkOptions>(options)
{
    protected internal override ValueTask ConsumeAsync(IRefCounted item, CancellationToken cancellationToken)
    {
        Options.Probe.Received.Enqueue(((VideoFrame)item).Index);
        return ValueTask.CompletedTask;
    }

    protected internal override ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        Options.Probe.CountComplete();
        return ValueTask.CompletedTask;
    }
}

public sealed class CustomOptions
{
    /// <summary>Return after forwarding this many items, leaving the rest of the input unread; -1 reads all.</summary>
    public long StopAfter { get; set; } = -1;

    public Probe Probe { get; set; } = new();
}

/// <summary>A custom block with declared ports: forwards "frames" to "copy", owning what it reads.</summary>
[Block("test.custom")]
[Input("frames", typeof(VideoFrame))]
[Output("copy", typeof(VideoFrame))]
public sealed class ForwardingCustomBlock(CustomOptions options) : CustomBlock<CustomOptions>(options)
{
    protected internal override async Task RunAsync(CancellationToken cancellationToken)
    {
        var input = Context.GetInput<VideoFrame>("frames");
        var output = Context.GetOutput<VideoFrame>("copy");
        var forwarded = 0L;
        while (await input.WaitToReadAsync(cancellationToken))
        {
            while (input.TryRead(out var frame))
            {
                Options.Probe.Received.Enqueue(frame.Index);
                await output.WriteAsync(frame, cancellationToken);
                if (++forwarded == Options.StopAfter)
                {
                    return;
                }
            }
        }
    }
}
