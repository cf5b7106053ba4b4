namespace Odyssey.Pipeline;

/// <summary>
/// The runtime half of a block: created from its validated options record, run by the engine.
/// Derive from one of the shapes below, not from this class.
/// </summary>
public abstract class Block : IAsyncDisposable
{
    private BlockContext? _context;

    private protected Block()
    {
    }

    /// <summary>Engine services and ports; available from <see cref="StartAsync"/> on.</summary>
    protected BlockContext Context => _context ?? throw new InvalidOperationException("the block has not been started by a pipeline");

    /// <summary>The block's name in the pipeline file (for messages).</summary>
    public string Name => _context?.Name ?? GetType().Name;

    internal void Attach(BlockContext context) => _context = context;

    /// <summary>
    /// Acquires resources (files, native contexts) before any item flows. A failure here stops the
    /// pipeline before it starts, naming this block.
    /// </summary>
    protected internal virtual ValueTask StartAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Releases what <see cref="StartAsync"/> acquired. Called once, after the block's last call.</summary>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A block configured by an options record of type <typeparamref name="TOptions"/>.</summary>
public abstract class Block<TOptions> : Block
    where TOptions : class
{
    private protected Block(TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The validated options from the pipeline file.</summary>
    protected TOptions Options { get; }
}

/// <summary>
/// A block with one output port, <c>out</c>, and no input. <see cref="ProduceAsync"/> writes items
/// until it has no more or <paramref name="cancellationToken"/> asks it to stop; returning completes
/// the output, and everything downstream then drains.
/// </summary>
public abstract class SourceBlock<TOut, TOptions>(TOptions options) : Block<TOptions>(options)
    where TOptions : class
{
    /// <summary>Produces items into <paramref name="output"/>. Returning normally is end-of-stream.</summary>
    protected internal abstract Task ProduceAsync(IBlockOutput<TOut> output, CancellationToken cancellationToken);
}

/// <summary>
/// A block with input <c>in</c> and output <c>out</c>. The engine runs the loop: it reads an item,
/// calls <see cref="TransformAsync"/>, writes the result, and releases the input afterwards, so the
/// block only borrows its input. To forward the input itself, add a reference and return it.
/// </summary>
public abstract class TransformBlock<TIn, TOut, TOptions>(TOptions options) : Block<TOptions>(options)
    where TOut : class
    where TOptions : class
{
    /// <summary>Returns an owned result for <paramref name="input"/>, or null to emit nothing for it.</summary>
    protected internal abstract ValueTask<TOut?> TransformAsync(TIn input, CancellationToken cancellationToken);

    /// <summary>Called once when the input has completed and drained: emit anything held back.</summary>
    protected internal virtual ValueTask FlushAsync(IBlockOutput<TOut> output, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>
/// A block with one input, <c>in</c>. The engine calls <see cref="ConsumeAsync"/> per item and
/// releases the item afterwards, then <see cref="CompleteAsync"/> exactly once.
/// </summary>
public abstract class SinkBlock<TIn, TOptions>(TOptions options) : Block<TOptions>(options)
    where TOptions : class
{
    /// <summary>Consumes a borrowed item.</summary>
    protected internal abstract ValueTask ConsumeAsync(TIn item, CancellationToken cancellationToken);

    /// <summary>
    /// Finalises output (flush, close, write an index). Called exactly once whether the input
    /// completed, the pipeline was stopped, or another block failed, so files are never left half-written.
    /// </summary>
    protected internal virtual ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>
/// A block with any ports, declared with <see cref="InputAttribute"/> and <see cref="OutputAttribute"/>,
/// that runs its own loop. It owns everything it reads. Its outputs complete when it returns.
/// </summary>
public abstract class CustomBlock<TOptions>(TOptions options) : Block<TOptions>(options)
    where TOptions : class
{
    /// <summary>Runs until the inputs are drained or <paramref name="cancellationToken"/> fires.</summary>
    protected internal abstract Task RunAsync(CancellationToken cancellationToken);
}
