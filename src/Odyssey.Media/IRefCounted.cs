namespace Odyssey.Media;

/// <summary>
/// The ownership contract for pooled payloads. Whoever holds a reference releases it exactly once;
/// handing the same payload to a second owner (fan-out) first adds a reference for it.
/// </summary>
public interface IRefCounted
{
    /// <summary>Adds a reference for a new owner.</summary>
    void AddRef();

    /// <summary>Gives up the caller's reference; the last release returns the payload to its pool.</summary>
    void Release();
}

/// <summary>
/// Adds and releases references for payloads of any type, so generic code handles pooled and plain
/// payloads alike. The type test is a JIT-time constant per <typeparamref name="T"/>, so it costs nothing.
/// </summary>
public static class Ownership<T>
{
    /// <summary>True when values of <typeparamref name="T"/> may carry references that must be released.</summary>
    public static readonly bool IsCounted = typeof(IRefCounted).IsAssignableFrom(typeof(T)) || !typeof(T).IsValueType && !typeof(T).IsSealed;

    /// <summary>Adds a reference when the payload is reference counted.</summary>
    public static void AddRef(T item)
    {
        if (IsCounted && item is IRefCounted counted)
        {
            counted.AddRef();
        }
    }

    /// <summary>Releases a reference when the payload is reference counted.</summary>
    public static void Release(T item)
    {
        if (IsCounted && item is IRefCounted counted)
        {
            counted.Release();
        }
    }
}
