namespace Odyssey.WebRtc.Rtp;

/// <summary>Why bytes were rejected as RTP, RTCP or an RTP payload format.</summary>
public enum RtpError
{
    /// <summary>No error.</summary>
    None,

    /// <summary>Fewer bytes than the fixed part of the header or a field needs.</summary>
    Truncated,

    /// <summary>The version field is not 2 (RFC 3550 §5.1).</summary>
    BadVersion,

    /// <summary>The padding count is zero or larger than what remains (RFC 3550 §5.1).</summary>
    BadPadding,

    /// <summary>A header extension (RFC 8285) runs past its block or the packet.</summary>
    BadExtension,

    /// <summary>An RTCP length field disagrees with the bytes present (RFC 3550 §6.4).</summary>
    BadLength,

    /// <summary>An RTCP packet of a type or format this reader does not accept here.</summary>
    BadPacketType,

    /// <summary>A payload descriptor or NAL unit header is malformed (RFC 7741, RFC 6184).</summary>
    BadPayload,

    /// <summary>A payload uses a packetization this depacketizer does not support (e.g. STAP-B, MTAP).</summary>
    UnsupportedPayload,

    /// <summary>The packets given do not form one whole frame (a fragment is missing).</summary>
    IncompleteFrame,
}

/// <summary>Bytes that are not valid RTP, RTCP or payload: names the field and its byte offset.</summary>
public sealed class RtpParseException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/> found at <paramref name="offset"/>.</summary>
    public RtpParseException(RtpError error, int offset, string message)
        : base($"{message} (byte offset {offset}, {error})")
    {
        Error = error;
        Offset = offset;
    }

    /// <summary>Creates an exception without detail; prefer the constructor that names the place.</summary>
    public RtpParseException()
        : this(RtpError.BadPayload, 0, "invalid RTP data")
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public RtpParseException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public RtpParseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>What was wrong.</summary>
    public RtpError Error { get; }

    /// <summary>Byte offset of the offending field, from the start of the packet.</summary>
    public int Offset { get; }
}
