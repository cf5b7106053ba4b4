using System.Threading.Channels;
using Odyssey.Media;

namespace Odyssey.Pipeline;

/// <summary>
/// The shared state of one run: the first fault, the two cancellation scopes (stop = sources only,
/// abort = everything) and every channel the engine created, so an abort can unblock and a run's end
/// can drain them all.
/// </summary>
/// <remarks>
/// The per-item waits on channels pass <see cref="CancellationToken.None"/>: a bounded channel reuses
/// one waiter object only for non-cancellable waits, and a cancellable one would allocate per blocked
/// item. An abort therefore wakes blocked readers and writers by completing every channel instead of
/// through a token: readers see the end, writers get <see cref="ChannelClosedException"/>.
/// </remarks>
internal sealed class RunControl : IDisposable
{
    private readonly CancellationTokenSource _abort = new();
    private readonly CancellationTokenSource _sources;
    private readonly List<Action> _closers = [];
    private readonly List<Action> _drainers = [];
    private BlockFault? _fault;
    private int _aborted;
    private int _stopRequested;

    public RunControl()
    {
        _sources = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        AbortToken = _abort.Token;
        SourceToken = _sources.Token;
    }

    /// <summary>Cancelled when any block faults: every block stops.</summary>
    public CancellationToken AbortToken { get; }

    /// <summary>Cancelled by a stop or an abort: what sources (and input-less custom blocks) get.</summary>
    public CancellationToken SourceToken { get; }

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    public bool StopRequested => Volatile.Read(ref _stopRequested) != 0;

    public BlockFault? FirstFault => Volatile.Read(ref _fault);

    /// <summary>True when <paramref name="exception"/> is the cancellation this run asked for through <paramref name="token"/>, not a failure.</summary>
    public static bool IsOwnCancellation(Exception exception, CancellationToken token) =>
        exception is OperationCanceledException && token.IsCancellationRequested;

    /// <summary>Creates a bounded channel that an abort completes and the run's end drains, releasing leftovers.</summary>
    public Channel<T> CreateChannel<T>(int capacity, BoundedChannelFullMode mode, Action<T>? itemDropped, Action countDiscarded)
    {
        var options = new BoundedChannelOptions(capacity)
        {
            FullMode = mode,
            SingleReader = true,

            // Continuations run on the thread pool, so a block's loop never runs inside another's write.
            AllowSynchronousContinuations = false,
        };
        var channel = Channel.CreateBounded(options, itemDropped);
        _closers.Add(() => channel.Writer.TryComplete());
        _drainers.Add(() =>
        {
            while (channel.Reader.TryRead(out var item))
            {
                Ownership<T>.Release(item);
                countDiscarded();
            }
        });
        return channel;
    }

    /// <summary>Records <paramref name="exception"/> as the run's fault if it is the first, then aborts.</summary>
    public void Fault(BlockCounters block, string phase, Exception exception)
    {
        block.CountError();
        Interlocked.CompareExchange(ref _fault, new BlockFault(block.Name, phase, exception), null);
        Abort();
    }

    /// <summary>Records a failure of the engine itself (a bug): the run must still end with a result.</summary>
    public void EngineFault(Exception exception)
    {
        Interlocked.CompareExchange(ref _fault, new BlockFault("(engine)", "run", exception), null);
        Abort();
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        try
        {
            _abort.Cancel();
        }
        catch (AggregateException)
        {
            // A block's own cancellation callback threw; the run is ending anyway and its fault (if
            // any) is reported through the block's task.
        }

        foreach (var close in _closers)
        {
            close();
        }
    }

    public void Stop()
    {
        Interlocked.Exchange(ref _stopRequested, 1);
        try
        {
            _sources.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run has ended; nothing left to stop.
        }
        catch (AggregateException)
        {
            // A source's cancellation callback threw; it surfaces through the source's task.
        }
    }

    /// <summary>Releases every item still queued anywhere. Call once every block and pump has ended.</summary>
    public void DrainAll()
    {
        foreach (var drain in _drainers)
        {
            drain();
        }
    }

    public void Dispose()
    {
        _sources.Dispose();
        _abort.Dispose();
    }
}
