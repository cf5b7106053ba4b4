namespace Odyssey.Pipeline;

/// <summary>
/// Where a block writes its results. A write hands over the caller's reference to the item: the
/// engine adds references for fan-out and releases items that a leaky link drops, and releases the
/// item itself if the write throws (cancelled, or the pipeline aborting). One write at a time per
/// port: await each before the next.
/// </summary>
public interface IBlockOutput<in T>
{
    /// <summary>Sends <paramref name="item"/> to every link from this port; waits while a <c>wait</c> link is full.</summary>
    ValueTask WriteAsync(T item, CancellationToken cancellationToken);

    /// <summary>True when at least one link leaves this port.</summary>
    bool IsConnected { get; }
}

/// <summary>
/// Where a <see cref="CustomBlock{TOptions}"/> reads from. Whatever it reads, it owns and must release.
/// One reader at a time per port.
/// </summary>
public interface IBlockInput<T>
{
    /// <summary>Waits until an item can be read; false once every upstream link has completed and drained.</summary>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken);

    /// <summary>Takes the next item if one is queued.</summary>
    bool TryRead(out T item);

    /// <summary>True when at least one link arrives at this port.</summary>
    bool IsConnected { get; }
}
