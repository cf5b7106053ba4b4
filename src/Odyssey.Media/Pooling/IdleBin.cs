using System.Collections.Concurrent;

namespace Odyssey.Media;

/// <summary>Idle pooled items of one size class, kept up to a limit. Thread-safe.</summary>
internal sealed class IdleBin<T>
    where T : class
{
    private readonly ConcurrentBag<T> _items = new();

    // Our own count, not ConcurrentBag.Count: that one takes every per-thread lock, on every return.
    private int _count;

    public bool TryTake(out T item)
    {
        if (_items.TryTake(out item!))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }

    /// <summary>Keeps <paramref name="item"/> unless <paramref name="retained"/> are already idle; the excess goes to the GC.</summary>
    public void Offer(T item, int retained)
    {
        if (Interlocked.Increment(ref _count) <= retained)
        {
            _items.Add(item);
        }
        else
        {
            Interlocked.Decrement(ref _count);
        }
    }
}
