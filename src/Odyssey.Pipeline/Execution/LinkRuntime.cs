using System.Threading.Channels;
using Odyssey.Media;

namespace Odyssey.Pipeline;

/// <summary>The running form of a <see cref="LinkDefinition"/>: one bounded channel and its figures.</summary>
internal abstract class LinkRuntime(LinkDefinition definition)
{
    private long _offered;
    private long _dropped;
    private long _discarded;

    public LinkDefinition Definition { get; } = definition;

    public string Name { get; } = definition.Name;

    public abstract int QueueDepth { get; }

    /// <summary>
    /// Items that entered the queue. A drop-newest link accepts a write and then drops it, so those
    /// never entered; a drop-oldest link's drops did enter and were evicted later.
    /// </summary>
    public long Transferred
    {
        get
        {
            var offered = Volatile.Read(ref _offered);
            return Definition.Full == FullMode.DropNewest ? Math.Max(0, offered - Dropped) : offered;
        }
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Discarded => Interlocked.Read(ref _discarded);

    /// <summary>One writer at a time (the producing port), so a plain increment, published for readers.</summary>
    public void CountOffered() => Volatile.Write(ref _offered, _offered + 1);

    public void CountDropped() => Interlocked.Increment(ref _dropped);

    public void CountDiscarded() => Interlocked.Increment(ref _discarded);

    /// <summary>The queue as seen by an input port of payload <typeparamref name="TTo"/> (the same type or a base of it).</summary>
    public abstract ChannelReader<TTo> ReaderAs<TTo>();

    public LinkMetrics ToMetrics() => new()
    {
        Name = Name,
        Capacity = Definition.Capacity,
        Full = Definition.Full,
        QueueDepth = QueueDepth,
        Transferred = Transferred,
        Dropped = Dropped,
        Discarded = Discarded,
    };

    /// <summary>
    /// Our full modes in channel terms. <see cref="FullMode.DropNewest"/> means "the arriving item is
    /// dropped", which is <see cref="BoundedChannelFullMode.DropWrite"/>; the channel's own DropNewest
    /// would instead evict the newest item already queued, which no user of a leaky link expects.
    /// </summary>
    public static BoundedChannelFullMode ToChannelMode(FullMode mode) => mode switch
    {
        FullMode.Wait => BoundedChannelFullMode.Wait,
        FullMode.DropOldest => BoundedChannelFullMode.DropOldest,
        FullMode.DropNewest => BoundedChannelFullMode.DropWrite,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown full mode"),
    };
}

/// <summary>A link carrying <typeparamref name="T"/>, the producing port's payload type.</summary>
internal sealed class LinkRuntime<T> : LinkRuntime
{
    private readonly Channel<T> _channel;

    public LinkRuntime(LinkDefinition definition, RunControl control)
        : base(definition)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(definition.Capacity);
        _channel = control.CreateChannel<T>(definition.Capacity, ToChannelMode(definition.Full), OnDropped, CountDiscarded);
        Writer = _channel.Writer;
        Reader = _channel.Reader;
    }

    public ChannelWriter<T> Writer { get; }

    public ChannelReader<T> Reader { get; }

    public override int QueueDepth => Reader.Count;

    /// <summary>Queues <paramref name="item"/> without waiting; false when a <c>wait</c> link is full or the link is closed.</summary>
    public bool TryWrite(T item)
    {
        if (!Writer.TryWrite(item))
        {
            return false;
        }

        CountOffered();
        return true;
    }

    public override ChannelReader<TTo> ReaderAs<TTo>() =>
        typeof(TTo) == typeof(T) ? (ChannelReader<TTo>)(object)Reader : new UpcastReader<T, TTo>(Reader);

    // The channel calls this for every item a leaky mode throws away: count it, and give back the
    // reference the writer handed over, so a drop neither hides nor leaks.
    private void OnDropped(T item)
    {
        CountDropped();
        Ownership<T>.Release(item);
    }
}

/// <summary>
/// Reads a channel of <typeparamref name="TFrom"/> as one of <typeparamref name="TTo"/>, for an input
/// port that accepts a base type of what its upstream produces. Built once at start-up.
/// </summary>
internal sealed class UpcastReader<TFrom, TTo>(ChannelReader<TFrom> inner) : ChannelReader<TTo>
{
    public override Task Completion => inner.Completion;

    public override bool CanCount => inner.CanCount;

    public override int Count => inner.Count;

    public override bool TryRead(out TTo item)
    {
        if (inner.TryRead(out var value))
        {
            // The loader checked TTo is assignable from TFrom; for reference types this is a plain cast.
            item = (TTo)(object)value!;
            return true;
        }

        item = default!;
        return false;
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
        inner.WaitToReadAsync(cancellationToken);
}
