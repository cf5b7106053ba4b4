namespace Odyssey.Media;

/// <summary>
/// The owner count of a pooled payload. Compare-and-swap rather than blind increments: a failed
/// AddRef on a returned payload must leave the count at 0 (or it would look alive and a later Release
/// would return it twice), and a stray Release must throw without taking the count below 0.
/// Held as a mutable field of its payload; never copy it.
/// </summary>
internal struct ReferenceCount
{
    private int _value;

    public readonly int Current => Volatile.Read(in _value);

    /// <summary>Back to one owner, as the pool hands the payload out.</summary>
    public void Reset() => Volatile.Write(ref _value, 1);

    /// <summary>Adds an owner; <paramref name="what"/> names the payload in the error.</summary>
    public void Increment(string what)
    {
        var current = Volatile.Read(ref _value);
        while (true)
        {
            if (current <= 0)
            {
                throw new InvalidOperationException($"AddRef on {what} that was already returned to its pool");
            }

            var seen = Interlocked.CompareExchange(ref _value, current + 1, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Removes an owner; true when it was the last, so the caller returns the payload to its pool.</summary>
    public bool Decrement(string what)
    {
        var current = Volatile.Read(ref _value);
        while (true)
        {
            if (current <= 0)
            {
                throw new InvalidOperationException($"{what} released more times than it was referenced");
            }

            var seen = Interlocked.CompareExchange(ref _value, current - 1, current);
            if (seen == current)
            {
                return current == 1;
            }

            current = seen;
        }
    }
}
