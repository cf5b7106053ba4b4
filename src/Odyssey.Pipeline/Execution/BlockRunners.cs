using System.Runtime.CompilerServices;
using Odyssey.Media;

namespace Odyssey.Pipeline;

/// <summary>
/// Runs one block of one kind. Generic over the block's shape so the per-item loop calls the block
/// directly; created once per block at start-up by reflection. <see cref="RunAsync"/> never throws:
/// a failure becomes the run's fault, and the block's outputs complete whatever happens.
/// </summary>
internal abstract class BlockRunner(BlockDefinition definition, EngineBlockContext context, BlockCounters counters, RunControl control)
{
    public BlockDefinition Definition { get; } = definition;

    public string Name => Definition.Name;

    public EngineBlockContext Context { get; } = context;

    public BlockCounters Counters { get; } = counters;

    public Block? Block { get; private set; }

    /// <summary>True once the block's StartAsync succeeded.</summary>
    public bool Started { get; set; }

    protected RunControl Control { get; } = control;

    /// <summary>The token the block's own calls get.</summary>
    protected virtual CancellationToken BlockToken => Control.AbortToken;

    public void Bind(Block block)
    {
        Block = block;
        Bind();
        foreach (var port in Context.Inputs.Values)
        {
            port.SetBlockToken(BlockToken);
        }

        foreach (var port in Context.Outputs.Values)
        {
            port.SetBlockToken(BlockToken);
        }
    }

    /// <summary>Runs the block until its inputs end, its source ends, or the run aborts.</summary>
    public abstract Task RunAsync();

    /// <summary>For a block that started but never ran (another failed to start): sinks still finalise.</summary>
    public virtual Task FinishWithoutRunningAsync() => Task.CompletedTask;

    protected abstract void Bind();

    protected void CompleteOutputs()
    {
        foreach (var port in Context.Outputs.Values)
        {
            ((IOutputCompletion)port).Complete();
        }
    }

    /// <summary>Handles an exception that left the block: our own cancellation is not a fault.</summary>
    protected void Fail(string phase, Exception exception, CancellationToken token)
    {
        if (!RunControl.IsOwnCancellation(exception, token) && !(exception is OperationCanceledException && Control.IsAborted))
        {
            Control.Fault(Counters, phase, exception);
        }
    }

    protected TPort Port<TPort>(IReadOnlyDictionary<string, IEnginePort> ports, string name)
        where TPort : class =>
        ports.TryGetValue(name, out var port) && port is TPort typed
            ? typed
            : throw new InvalidOperationException($"block \"{Name}\": port \"{name}\" is missing or of the wrong type");
}

/// <summary>Lets the runner complete an output port without knowing its payload type.</summary>
internal interface IOutputCompletion
{
    void Complete();
}

/// <summary>Runs a <see cref="SourceBlock{TOut, TOptions}"/>.</summary>
internal sealed class SourceRunner<TOut, TOptions>(BlockDefinition definition, EngineBlockContext context, BlockCounters counters, RunControl control)
    : BlockRunner(definition, context, counters, control)
    where TOptions : class
{
    private SourceBlock<TOut, TOptions> _block = null!;
    private OutputPort<TOut> _output = null!;

    protected override CancellationToken BlockToken => Control.SourceToken;

    public override async Task RunAsync()
    {
        try
        {
            await _block.ProduceAsync(_output, Control.SourceToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Fail("run", e, Control.SourceToken);
        }
        finally
        {
            _output.Complete();
        }
    }

    protected override void Bind()
    {
        _block = (SourceBlock<TOut, TOptions>)Block!;
        _output = Port<OutputPort<TOut>>(Context.Outputs, "out");
    }
}

/// <summary>
/// The loop of a block with one input read item by item (a single-worker transform, a sink): count
/// the item in, hand it to <see cref="HandleAsync"/>, and stop early only on an abort, releasing what
/// it took. One place for the loop, so both kinds stop and count alike.
/// </summary>
internal abstract class InputLoopRunner<TIn>(BlockDefinition definition, EngineBlockContext context, BlockCounters counters, RunControl control)
    : BlockRunner(definition, context, counters, control)
{
    protected InputPort<TIn> Input { get; private set; } = null!;

    public override async Task RunAsync()
    {
        var token = Control.AbortToken;
        var reader = Input.Reader;
        try
        {
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    if (token.IsCancellationRequested)
                    {
                        Ownership<TIn>.Release(item);
                        return;
                    }

                    Counters.CountIn();
                    await HandleAsync(item, token).ConfigureAwait(false);
                }
            }

            if (!token.IsCancellationRequested)
            {
                await InputEndedAsync(token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            Fail("run", e, token);
        }
        finally
        {
            await FinishAsync().ConfigureAwait(false);
        }
    }

    protected override void Bind() => Input = Port<InputPort<TIn>>(Context.Inputs, "in");

    /// <summary>Handles one item, which it owns and must release (the steps do).</summary>
    protected abstract ValueTask HandleAsync(TIn item, CancellationToken token);

    /// <summary>After the last item, unless the run is aborting.</summary>
    protected virtual ValueTask InputEndedAsync(CancellationToken token) => ValueTask.CompletedTask;

    /// <summary>Whatever happened; must not throw.</summary>
    protected abstract ValueTask FinishAsync();
}

/// <summary>Runs a <see cref="TransformBlock{TIn, TOut, TOptions}"/> with one worker.</summary>
internal sealed class TransformRunner<TIn, TOut, TOptions>(BlockDefinition definition, EngineBlockContext context, BlockCounters counters, RunControl control)
    : InputLoopRunner<TIn>(definition, context, counters, control)
    where TOut : class
    where TOptions : class
{
    private TransformBlock<TIn, TOut, TOptions> _block = null!;
    private TransformStep<TIn, TOut, TOptions> _step = null!;
    private OutputPort<TOut> _output = null!;

    protected override void Bind()
    {
        base.Bind();
        _block = (TransformBlock<TIn, TOut, TOptions>)Block!;
        _step = new TransformStep<TIn, TOut, TOptions>(_block, Counters);
        _output = Port<OutputPort<TOut>>(Context.Outputs, "out");
    }

    protected override ValueTask HandleAsync(TIn item, CancellationToken token)
    {
        var pending = _step.RunAsync(item, token);
        if (!pending.IsCompletedSuccessfully)
        {
            return WriteWhenDoneAsync(pending);
        }

        var result = pending.Result;
        return result is null ? default : _output.WriteAsync(result, CancellationToken.None);
    }

    protected override ValueTask InputEndedAsync(CancellationToken token) => _block.FlushAsync(_output, token);

    protected override ValueTask FinishAsync()
    {
        _output.Complete();
        return default;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteWhenDoneAsync(ValueTask<TOut?> pending)
    {
        var result = await pending.ConfigureAwait(false);
        if (result is not null)
        {
            await _output.WriteAsync(result, CancellationToken.None).ConfigureAwait(false);
        }
    }
}

/// <summary>Runs a <see cref="SinkBlock{TIn, TOptions}"/>: consume each item, then finalise exactly once.</summary>
internal sealed class SinkRunner<TIn, TOptions>(BlockDefinition definition, EngineBlockContext context, BlockCounters counters, RunControl control)
    : InputLoopRunner<TIn>(definition, context, counters, control)
    where TOptions : class
{
    private SinkBlock<TIn, TOptions> _block = null!;
    private SinkStep<TIn, TOptions> _step = null!;
    private int _completed;

    public override Task FinishWithoutRunningAsync() => CompleteOnceAsync().AsTask();

    protected override void Bind()
    {
        base.Bind();
        _block = (SinkBlock<TIn, TOptions>)Block!;
        _step = new SinkStep<TIn, TOptions>(_block, Counters);
    }

    protected override ValueTask HandleAsync(TIn item, CancellationToken token) => _step.RunAsync(item, token);

    protected override ValueTask FinishAsync() => CompleteOnceAsync();

    // Finalising is not cancellable: it runs precisely when the run is stopping or aborting, and a
    // half-written file is the thing it exists to prevent. A sink that hangs here is the runner's
    // second Ctrl+C to deal with.
    private async ValueTask CompleteOnceAsync()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        try
        {
            await _block.CompleteAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Control.Fault(Counters, "complete", e);
        }
    }
}

/// <summary>
/// Runs a <see cref="CustomBlock{TOptions}"/>. One with no inputs is a source as far as stopping goes.
/// If it returns before its inputs end, what still arrives is released and counted as discarded, so
/// its upstream never blocks on a reader that has gone.
/// </summary>
internal sealed class CustomRunner<TOptions>(BlockDefinition definition, EngineBlockContext context, BlockCounters counters, RunControl control)
    : BlockRunner(definition, context, counters, control)
    where TOptions : class
{
    private CustomBlock<TOptions> _block = null!;

    // A block fed only by feedback inputs starts the data itself: a stop must reach it like a source,
    // or nothing would ever end the loop it closes.
    protected override CancellationToken BlockToken => OnlyFeedbackInputs() ? Control.SourceToken : Control.AbortToken;

    public override async Task RunAsync()
    {
        var token = BlockToken;
        try
        {
            await _block.RunAsync(token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Fail("run", e, token);
        }
        finally
        {
            CompleteOutputs();
        }

        foreach (var port in Context.Inputs.Values)
        {
            await ((IInputDiscard)port).DiscardRestAsync().ConfigureAwait(false);
        }
    }

    protected override void Bind() => _block = (CustomBlock<TOptions>)Block!;

    private bool OnlyFeedbackInputs()
    {
        foreach (var port in Definition.Descriptor.Ports)
        {
            if (port.Direction == PortDirection.Input && !port.Feedback)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Lets a runner empty an input port it no longer reads, without knowing its payload type.</summary>
internal interface IInputDiscard
{
    Task DiscardRestAsync();
}
