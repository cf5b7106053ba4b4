using System.Runtime.CompilerServices;
using Odyssey.Media;

namespace Odyssey.Pipeline;

/// <summary>
/// The per-item step of a transform, shared by the single-worker runner and both parallel ones: time
/// the call and give the borrowed input back whatever happens. A call that completes synchronously
/// (pass-through and CPU-bound blocks) never enters a state machine; one that does not is finished
/// by a pooled one.
/// </summary>
internal sealed class TransformStep<TIn, TOut, TOptions>(TransformBlock<TIn, TOut, TOptions> block, BlockCounters counters)
    where TOut : class
    where TOptions : class
{
    // Read once: a generic static read from shared generic code is a runtime helper call per item.
    private readonly bool _counted = Ownership<TIn>.IsCounted;

    /// <summary>Transforms <paramref name="item"/>, which this call releases, and records the processing time of a success.</summary>
    public ValueTask<TOut?> RunAsync(TIn item, CancellationToken token)
    {
        var started = counters.StartTiming();
        ValueTask<TOut?> pending;
        try
        {
            pending = block.TransformAsync(item, token);
        }
        catch
        {
            Release(item);
            throw;
        }

        if (!pending.IsCompletedSuccessfully)
        {
            return FinishAsync(pending, item, started);
        }

        var result = pending.Result;
        Release(item);
        counters.RecordProcessing(started);
        return new ValueTask<TOut?>(result);
    }

    private void Release(TIn item)
    {
        if (_counted && item is IRefCounted counted)
        {
            counted.Release();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TOut?> FinishAsync(ValueTask<TOut?> pending, TIn item, long started)
    {
        TOut? result;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        finally
        {
            Release(item);
        }

        counters.RecordProcessing(started);
        return result;
    }
}

/// <summary>The per-item step of a sink: the same as <see cref="TransformStep{TIn, TOut, TOptions}"/>, with nothing to return.</summary>
internal sealed class SinkStep<TIn, TOptions>(SinkBlock<TIn, TOptions> block, BlockCounters counters)
    where TOptions : class
{
    // Read once: a generic static read from shared generic code is a runtime helper call per item.
    private readonly bool _counted = Ownership<TIn>.IsCounted;

    /// <summary>Hands <paramref name="item"/> to the sink, releases it, and records the processing time of a success.</summary>
    public ValueTask RunAsync(TIn item, CancellationToken token)
    {
        var started = counters.StartTiming();
        ValueTask pending;
        try
        {
            pending = block.ConsumeAsync(item, token);
        }
        catch
        {
            Release(item);
            throw;
        }

        if (!pending.IsCompletedSuccessfully)
        {
            return FinishAsync(pending, item, started);
        }

        // Consumes a pooled source's result, as an await would.
        pending.GetAwaiter().GetResult();
        Release(item);
        counters.RecordProcessing(started);
        return default;
    }

    private void Release(TIn item)
    {
        if (_counted && item is IRefCounted counted)
        {
            counted.Release();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FinishAsync(ValueTask pending, TIn item, long started)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            Release(item);
        }

        counters.RecordProcessing(started);
    }
}
