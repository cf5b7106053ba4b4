namespace Odyssey.WebRtc.Sctp;

/// <summary>Why bytes were rejected as an SCTP packet, chunk, parameter or DCEP message.</summary>
public enum SctpError
{
    /// <summary>No error.</summary>
    None,

    /// <summary>Fewer bytes than a header or fixed field needs.</summary>
    Truncated,

    /// <summary>The CRC32c in the common header does not match the packet (RFC 9260 §6.8).</summary>
    BadChecksum,

    /// <summary>A chunk, parameter or cause length field disagrees with the bytes present.</summary>
    BadLength,

    /// <summary>A chunk was asked to be read as a type it is not.</summary>
    WrongChunkType,

    /// <summary>A DCEP message is malformed (RFC 8832 §5): unknown type, bad lengths or bad UTF-8.</summary>
    BadMessage,
}

/// <summary>Bytes that are not valid SCTP or DCEP: names the field and its byte offset.</summary>
public sealed class SctpParseException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/> found at <paramref name="offset"/>.</summary>
    public SctpParseException(SctpError error, int offset, string message)
        : base($"{message} (byte offset {offset}, {error})")
    {
        Error = error;
        Offset = offset;
    }

    /// <summary>Creates the exception for <paramref name="error"/> at <paramref name="offset"/> with its cause.</summary>
    public SctpParseException(SctpError error, int offset, string message, Exception innerException)
        : base($"{message} (byte offset {offset}, {error})", innerException)
    {
        Error = error;
        Offset = offset;
    }

    /// <summary>Creates an exception without detail; prefer the constructor that names the place.</summary>
    public SctpParseException()
        : this(SctpError.BadLength, 0, "invalid SCTP data")
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public SctpParseException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public SctpParseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>What was wrong.</summary>
    public SctpError Error { get; }

    /// <summary>Byte offset of the offending field, from the start of the packet or message.</summary>
    public int Offset { get; }
}
