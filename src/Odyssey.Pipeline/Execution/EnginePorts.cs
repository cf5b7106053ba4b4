using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Odyssey.Media;

namespace Odyssey.Pipeline;

/// <summary>What the engine needs of any port without knowing its payload type.</summary>
internal interface IEnginePort
{
    /// <summary>"block.port".</summary>
    string Address { get; }

    /// <summary>Lets calls with the token the engine gave the block wait without a cancellable (allocating) registration.</summary>
    void SetBlockToken(CancellationToken token);
}

/// <summary>An output port: hands each written item to every link leaving it.</summary>
/// <remarks>
/// A write hands over the caller's reference even when it throws: references not yet queued are
/// released here (and counted as discarded on their link), so a cancelled write leaks nothing.
/// Waits with the token the engine gave the block (or none) do not register it: an abort completes the
/// links instead (see <see cref="RunControl"/>), and a stop must not cancel an in-flight item, which
/// would drop it; it drains like the rest. Any other token is honoured as given.
/// </remarks>
internal sealed class OutputPort<T> : IBlockOutput<T>, IEnginePort, IOutputCompletion
{
    private readonly LinkRuntime<T>[] _links;
    private readonly BlockCounters _counters;
    private readonly RunControl _control;
    private CancellationToken _blockToken;

    public OutputPort(string address, LinkRuntime<T>[] links, BlockCounters counters, RunControl control)
    {
        Address = address;
        _links = links;
        _counters = counters;
        _control = control;
    }

    public string Address { get; }

    public bool IsConnected => _links.Length > 0;

    public void SetBlockToken(CancellationToken token) => _blockToken = token;

    public ValueTask WriteAsync(T item, CancellationToken cancellationToken)
    {
        _counters.CountOut();
        var links = _links;
        if (links.Length == 1)
        {
            var link = links[0];
            return link.TryWrite(item) ? default : WriteSlowAsync(link, item, WaitToken(cancellationToken));
        }

        if (links.Length == 0)
        {
            // Nobody listens: the item counts as written and its reference goes back at once.
            Ownership<T>.Release(item);
            return _control.IsAborted ? ValueTask.FromCanceled(_control.AbortToken) : default;
        }

        // Fan-out: every link gets its own reference. All are added before the first is handed over,
        // so a fast consumer releasing its copy can never take the count to zero under us.
        for (var i = 1; i < links.Length; i++)
        {
            Ownership<T>.AddRef(item);
        }

        for (var i = 0; i < links.Length; i++)
        {
            if (!links[i].TryWrite(item))
            {
                return WriteFanOutSlowAsync(links, i, item, WaitToken(cancellationToken));
            }
        }

        return default;
    }

    /// <summary>Ends every link from this port: downstream drains what is queued, then sees completion.</summary>
    public void Complete()
    {
        foreach (var link in _links)
        {
            link.Writer.TryComplete();
        }
    }

    private CancellationToken WaitToken(CancellationToken token) =>
        token == _blockToken || token == _control.AbortToken || token == _control.SourceToken ? CancellationToken.None : token;

    // Pooled builder: a writer that waits on backpressure for every item must not allocate a state machine each time.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteSlowAsync(LinkRuntime<T> link, T item, CancellationToken cancellationToken)
    {
        try
        {
            await link.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
            link.CountOffered();
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
        {
            Ownership<T>.Release(item);
            link.CountDiscarded();
            throw WriteFailure(e);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteFanOutSlowAsync(LinkRuntime<T>[] links, int first, T item, CancellationToken cancellationToken)
    {
        for (var i = first; i < links.Length; i++)
        {
            var link = links[i];
            if (i != first && link.TryWrite(item))
            {
                continue;
            }

            try
            {
                await link.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
                link.CountOffered();
            }
            catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
            {
                // This link's reference and those of the links after it were never handed over.
                for (var j = i; j < links.Length; j++)
                {
                    Ownership<T>.Release(item);
                    links[j].CountDiscarded();
                }

                throw WriteFailure(e);
            }
        }
    }

    private Exception WriteFailure(Exception e)
    {
        if (e is OperationCanceledException)
        {
            return e;
        }

        return _control.IsAborted
            ? new OperationCanceledException($"output port {Address}: the pipeline is aborting", e, _control.AbortToken)
            : new InvalidOperationException($"output port {Address} was written after its block had ended", e);
    }
}

/// <summary>An input port: one reader over its single link, or over the merge of several (fan-in).</summary>
internal sealed class InputPort<T> : IBlockInput<T>, IEnginePort, IInputDiscard
{
    private readonly BlockCounters _counters;
    private readonly RunControl _control;
    private CancellationToken _blockToken;

    public InputPort(string address, ChannelReader<T> reader, bool isConnected, BlockCounters counters, RunControl control)
    {
        Address = address;
        Reader = reader;
        IsConnected = isConnected;
        _counters = counters;
        _control = control;
    }

    public string Address { get; }

    public bool IsConnected { get; }

    /// <summary>The raw reader, for the engine's own loops (which count inputs themselves).</summary>
    public ChannelReader<T> Reader { get; }

    public void SetBlockToken(CancellationToken token) => _blockToken = token;

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) =>
        Reader.WaitToReadAsync(cancellationToken == _blockToken || cancellationToken == _control.AbortToken || cancellationToken == _control.SourceToken
            ? CancellationToken.None
            : cancellationToken);

    public bool TryRead(out T item)
    {
        if (Reader.TryRead(out var value))
        {
            _counters.CountIn();
            item = value;
            return true;
        }

        item = default!;
        return false;
    }

    public async Task DiscardRestAsync()
    {
        while (await Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (Reader.TryRead(out var item))
            {
                Ownership<T>.Release(item);
                _counters.CountDiscarded();
            }
        }
    }
}

/// <summary>
/// Fan-in: several links into one input port. One pump per link moves items into a small merge
/// channel that the port reads; the merge completes when the last pump has drained its link. The
/// single-link case never gets here: its port reads the link directly.
/// </summary>
internal sealed class FanInMerge<T>
{
    /// <summary>
    /// Room in the merge channel. One is enough: each link keeps its own capacity and backpressure,
    /// and a larger merge queue would only add latency that no metric shows.
    /// </summary>
    private const int MergeCapacity = 1;

    private readonly Channel<T> _merge;
    private readonly ChannelReader<T>[] _sources;
    private readonly BlockCounters _consumer;
    private int _open;

    public FanInMerge(ChannelReader<T>[] sources, BlockCounters consumer, RunControl control)
    {
        _sources = sources;
        _consumer = consumer;
        _open = sources.Length;
        _merge = control.CreateChannel<T>(MergeCapacity, BoundedChannelFullMode.Wait, null, consumer.CountDiscarded);
    }

    public ChannelReader<T> Reader => _merge.Reader;

    /// <summary>One task per upstream link, started with the blocks.</summary>
    public IEnumerable<Func<Task>> Pumps()
    {
        foreach (var source in _sources)
        {
            yield return () => PumpAsync(source);
        }
    }

    private async Task PumpAsync(ChannelReader<T> source)
    {
        var writer = _merge.Writer;
        try
        {
            while (await source.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (source.TryRead(out var item))
                {
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
                        // Only an abort closes the merge early; what is left upstream is drained at the end.
                        Ownership<T>.Release(item);
                        _consumer.CountDiscarded();
                        return;
                    }
                }
            }
        }
        finally
        {
            if (Interlocked.Decrement(ref _open) == 0)
            {
                writer.TryComplete();
            }
        }
    }
}
