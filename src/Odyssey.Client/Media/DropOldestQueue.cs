using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Odyssey.Media;

namespace Odyssey.Client.Media;

/// <summary>
/// Frames handed from the receiver to one reader: when the reader falls behind, the oldest item is dropped,
/// released back to its pool and counted, so a slow consumer never stalls reception or leaks a buffer.
/// </summary>
internal sealed class DropOldestQueue<T>
    where T : class, IRefCounted
{
    private readonly Channel<T> _channel;
    private long _dropped;

    public DropOldestQueue(int capacity) =>
        _channel = Channel.CreateBounded<T>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true },
            Drop);

    public ChannelWriter<T> Writer => _channel.Writer;

    /// <summary>Items dropped because the reader fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The queued items in order, each OWNED by the reader; ends once the queue is completed and empty.</summary>
    public async IAsyncEnumerable<T> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_channel.Reader.TryRead(out var item))
            {
                yield return item;
            }
        }
    }

    /// <summary>Ends the reader's stream and releases what nobody will read now.</summary>
    public void CompleteAndReleaseRest()
    {
        _channel.Writer.TryComplete();
        while (_channel.Reader.TryRead(out var item))
        {
            item.Release();
        }
    }

    private void Drop(T item)
    {
        Interlocked.Increment(ref _dropped);
        item.Release();
    }
}
