using System.Threading.Channels;
using Odyssey.Media;

namespace Odyssey.Pipeline;

/// <summary>
/// Runs a thread-safe transform with N concurrent <c>TransformAsync</c> calls and keeps output order,
/// on channels only. Item i goes to worker i mod N; each worker handles its items in order, so
/// reading the workers' results round-robin gives back the input order with no sequence numbers,
/// locks or reorder buffer. A result of null still takes its turn (the emitter skips it).
/// </summary>
/// <remarks>
/// Head-of-line blocking is inherent to keeping order: a slow item holds back the emitter while the
/// other workers fill their small result queues, then they wait too. The window is
/// <see cref="WorkerQueueCapacity"/> queued + 1 running + <see cref="WorkerQueueCapacity"/> finished
/// per worker. Deadlock-free: the emitter only ever waits for the next item in order, which has
/// already been dispatched, and whose worker's result queue is empty because everything before it
/// on that worker has been emitted.
/// </remarks>
internal sealed class OrderedParallelTransformRunner<TIn, TOut, TOptions>(BlockDefinition definition, EngineBlockContext context, BlockCounters counters, RunControl control)
    : BlockRunner(definition, context, counters, control)
    where TOut : class
    where TOptions : class
{
    /// <summary>One item queued per worker each way: enough to keep a worker busy while the dispatcher or emitter catches up.</summary>
    private const int WorkerQueueCapacity = 1;

    private TransformBlock<TIn, TOut, TOptions> _block = null!;
    private TransformStep<TIn, TOut, TOptions> _step = null!;
    private InputPort<TIn> _input = null!;
    private OutputPort<TOut> _output = null!;
    private Channel<TIn>[] _work = [];
    private Channel<TOut?>[] _done = [];

    public override async Task RunAsync()
    {
        var workers = new Task[_work.Length];
        for (var i = 0; i < workers.Length; i++)
        {
            var index = i;
            workers[i] = Task.Run(() => WorkAsync(index));
        }

        var dispatch = Task.Run(DispatchAsync);
        await EmitAsync().ConfigureAwait(false);
        await dispatch.ConfigureAwait(false);
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    protected override void Bind()
    {
        _block = (TransformBlock<TIn, TOut, TOptions>)Block!;
        _step = new TransformStep<TIn, TOut, TOptions>(_block, Counters);
        _input = Port<InputPort<TIn>>(Context.Inputs, "in");
        _output = Port<OutputPort<TOut>>(Context.Outputs, "out");
        var count = Definition.Parallelism;
        _work = new Channel<TIn>[count];
        _done = new Channel<TOut?>[count];
        for (var i = 0; i < count; i++)
        {
            _work[i] = Control.CreateChannel<TIn>(WorkerQueueCapacity, BoundedChannelFullMode.Wait, null, Counters.CountDiscarded);
            _done[i] = Control.CreateChannel<TOut?>(WorkerQueueCapacity, BoundedChannelFullMode.Wait, null, Counters.CountDiscarded);
        }
    }

    private async Task DispatchAsync()
    {
        var reader = _input.Reader;
        var next = 0;
        try
        {
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    Counters.CountIn();
                    var writer = _work[next].Writer;
                    next = next + 1 == _work.Length ? 0 : next + 1;
                    if (writer.TryWrite(item))
                    {
                        continue;
                    }

                    try
                    {
                        await writer.WriteAsync(item, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (ChannelClosedException)
                    {
                        Ownership<TIn>.Release(item);
                        Counters.CountDiscarded();
                        return;
                    }
                }
            }
        }
        finally
        {
            foreach (var work in _work)
            {
                work.Writer.TryComplete();
            }
        }
    }

    private async Task WorkAsync(int index)
    {
        var token = Control.AbortToken;
        var reader = _work[index].Reader;
        var writer = _done[index].Writer;
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

                    var result = await _step.RunAsync(item, token).ConfigureAwait(false);
                    if (!writer.TryWrite(result))
                    {
                        try
                        {
                            await writer.WriteAsync(result, CancellationToken.None).ConfigureAwait(false);
                        }
                        catch (ChannelClosedException)
                        {
                            Ownership<TOut?>.Release(result);
                            Counters.CountDiscarded();
                            return;
                        }
                    }
                }
            }
        }
        catch (Exception e)
        {
            Fail("run", e, token);
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private async Task EmitAsync()
    {
        var token = Control.AbortToken;
        var next = 0;
        try
        {
            while (true)
            {
                var reader = _done[next].Reader;
                if (!reader.TryRead(out var result))
                {
                    if (!await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false) || !reader.TryRead(out result))
                    {
                        // The worker holding the next turn has ended with nothing left: every item before
                        // it has been emitted and nothing after it was ever dispatched.
                        break;
                    }
                }

                next = next + 1 == _done.Length ? 0 : next + 1;
                if (result is not null)
                {
                    await _output.WriteAsync(result, CancellationToken.None).ConfigureAwait(false);
                }
            }

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
}
