using Odyssey.Media;
using Dataflow = System.Threading.Tasks.Dataflow;

namespace Odyssey.Pipeline;

/// <summary>
/// The same ordered, N-way transform as <see cref="OrderedParallelTransformRunner{TIn, TOut, TOptions}"/>,
/// built on TPL Dataflow's bounded, ordered TransformBlock. Kept (selected through
/// <see cref="PipelineRunOptions.ParallelStrategy"/>) so the benchmark comparing the two can be re-run;
/// the engine uses the channels version by default: see benchmarks/RESULTS.md, "## Engine".
/// </summary>
internal sealed class DataflowParallelTransformRunner<TIn, TOut, TOptions>(BlockDefinition definition, EngineBlockContext context, BlockCounters counters, RunControl control)
    : BlockRunner(definition, context, counters, control)
    where TOut : class
    where TOptions : class
{
    /// <summary>Items in the Dataflow block per worker (queued, running and finished), the same window as the channels version.</summary>
    private const int WindowPerWorker = 3;

    private TransformBlock<TIn, TOut, TOptions> _block = null!;
    private TransformStep<TIn, TOut, TOptions> _step = null!;
    private InputPort<TIn> _input = null!;
    private OutputPort<TOut> _output = null!;

    public override async Task RunAsync()
    {
        var token = Control.AbortToken;
        var parallel = new Dataflow.TransformBlock<TIn, TOut?>(TransformOneAsync, new Dataflow.ExecutionDataflowBlockOptions
        {
            MaxDegreeOfParallelism = Definition.Parallelism,
            BoundedCapacity = Definition.Parallelism * WindowPerWorker,
            EnsureOrdered = true,
            SingleProducerConstrained = true,
        });
        var feed = Task.Run(() => FeedAsync(parallel));
        try
        {
            while (await Dataflow.DataflowBlock.OutputAvailableAsync(parallel, CancellationToken.None).ConfigureAwait(false))
            {
                while (Dataflow.DataflowBlock.TryReceive(parallel, out var result))
                {
                    if (result is null)
                    {
                        continue;
                    }

                    if (token.IsCancellationRequested)
                    {
                        Ownership<TOut>.Release(result);
                        Counters.CountDiscarded();
                        continue;
                    }

                    try
                    {
                        await _output.WriteAsync(result, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested)
                    {
                        // Aborting: keep receiving so every finished item is released.
                    }
                }
            }

            await feed.ConfigureAwait(false);
            if (!token.IsCancellationRequested)
            {
                await _block.FlushAsync(_output, token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            Fail("run", e, token);
        }
        finally
        {
            _output.Complete();
        }
    }

    protected override void Bind()
    {
        _block = (TransformBlock<TIn, TOut, TOptions>)Block!;
        _step = new TransformStep<TIn, TOut, TOptions>(_block, Counters);
        _input = Port<InputPort<TIn>>(Context.Inputs, "in");
        _output = Port<OutputPort<TOut>>(Context.Outputs, "out");
    }

    private async Task FeedAsync(Dataflow.TransformBlock<TIn, TOut?> parallel)
    {
        var reader = _input.Reader;
        var token = Control.AbortToken;
        try
        {
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    Counters.CountIn();
                    if (token.IsCancellationRequested || !await Dataflow.DataflowBlock.SendAsync(parallel, item, CancellationToken.None).ConfigureAwait(false))
                    {
                        Ownership<TIn>.Release(item);
                        Counters.CountDiscarded();
                    }
                }
            }
        }
        finally
        {
            parallel.Complete();
        }
    }

    // Never throws into Dataflow: a faulted Dataflow block would drop its buffered items unreleased.
    private async Task<TOut?> TransformOneAsync(TIn item)
    {
        var token = Control.AbortToken;
        if (token.IsCancellationRequested)
        {
            Ownership<TIn>.Release(item);
            return null;
        }

        try
        {
            return await _step.RunAsync(item, token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Fail("run", e, token);
            return null;
        }
    }
}
