namespace Odyssey.WebRtc.Ice;

/// <summary>ICE could not connect, or lost consent; the message says which and why.</summary>
public sealed class IceFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public IceFailedException(string reason)
        : base($"ICE failed: {reason}")
    {
        Reason = reason;
    }

    /// <summary>Why, without the prefix.</summary>
    public string Reason { get; }
}
