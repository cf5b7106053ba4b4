namespace Odyssey.WebRtc.Sctp;

/// <summary>
/// Serial-number arithmetic (RFC 1982) for TSNs (32 bits) and stream sequence numbers (16 bits):
/// both wrap, so "less than" means "less than by less than half the number space".
/// </summary>
internal static class SctpSerial
{
    public static bool Lt(uint a, uint b) => (int)(a - b) < 0;

    public static bool Le(uint a, uint b) => (int)(a - b) <= 0;

    public static bool Gt(uint a, uint b) => (int)(a - b) > 0;

    public static bool Ge(uint a, uint b) => (int)(a - b) >= 0;

    public static bool Lt(ushort a, ushort b) => (short)(a - b) < 0;

    public static bool Le(ushort a, ushort b) => (short)(a - b) <= 0;
}

/// <summary>A growable ring buffer: the association's outbound chunks in TSN order (pop at the head, push at the tail).</summary>
internal sealed class SctpDeque<T>
    where T : class
{
    private T?[] _items = new T?[64];
    private int _head;

    public int Count { get; private set; }

    public T this[int index] => _items[(_head + index) & (_items.Length - 1)]!;

    public void PushBack(T item)
    {
        if (Count == _items.Length)
        {
            // Capacity stays a power of two so the index wraps with a mask.
            var bigger = new T?[_items.Length * 2];
            for (var i = 0; i < Count; i++)
            {
                bigger[i] = this[i];
            }

            _items = bigger;
            _head = 0;
        }

        _items[(_head + Count) & (_items.Length - 1)] = item;
        Count++;
    }

    public T PopFront()
    {
        var item = _items[_head]!;
        _items[_head] = null;
        _head = (_head + 1) & (_items.Length - 1);
        Count--;
        return item;
    }
}
