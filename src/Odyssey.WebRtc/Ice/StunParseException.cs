namespace Odyssey.WebRtc.Ice;

/// <summary>
/// A datagram that is not a well-formed STUN message (RFC 8489 §5, §14): names the field and the byte
/// offset where the message went wrong, so a capture can be checked by hand.
/// </summary>
public sealed class StunParseException : Exception
{
    /// <summary>Creates the exception for one field at one offset.</summary>
    public StunParseException(string field, int offset, string reason)
        : base($"STUN {field} at byte {offset}: {reason}")
    {
        Field = field;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>The header field or attribute that is wrong, e.g. "XOR-MAPPED-ADDRESS".</summary>
    public string Field { get; }

    /// <summary>Byte offset from the start of the message.</summary>
    public int Offset { get; }

    /// <summary>What is wrong, without the place.</summary>
    public string Reason { get; }
}
