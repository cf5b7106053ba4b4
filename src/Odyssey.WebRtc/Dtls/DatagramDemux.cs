namespace Odyssey.WebRtc.Dtls;

/// <summary>What a datagram on a WebRTC 5-tuple is, by its first byte (RFC 7983 §7).</summary>
public enum DatagramKind
{
    /// <summary>Anything not listed below (ZRTP, TURN channel data, garbage): drop it.</summary>
    Unknown,

    /// <summary>STUN (0..3): ICE checks and consent.</summary>
    Stun,

    /// <summary>DTLS records (20..63).</summary>
    Dtls,

    /// <summary>RTP (128..191, payload type not in the RTCP range).</summary>
    Rtp,

    /// <summary>RTCP multiplexed on the RTP port (128..191, packet type 192..223, RFC 5761 §4).</summary>
    Rtcp,
}

/// <summary>Routes a datagram by its first bytes, the way RFC 7983 tells one socket's traffic apart.</summary>
public static class DatagramDemux
{
    /// <summary>Classifies one datagram.</summary>
    public static DatagramKind Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty)
        {
            return DatagramKind.Unknown;
        }

        byte first = datagram[0];
        return first switch
        {
            <= 3 => DatagramKind.Stun,
            >= 20 and <= 63 => DatagramKind.Dtls,
            >= 128 and <= 191 when datagram.Length >= 2 && datagram[1] is >= 192 and <= 223 => DatagramKind.Rtcp,
            >= 128 and <= 191 => DatagramKind.Rtp,
            _ => DatagramKind.Unknown,
        };
    }

    /// <summary>True for DTLS records (first byte 20..63).</summary>
    public static bool IsDtls(ReadOnlySpan<byte> datagram) => !datagram.IsEmpty && datagram[0] is >= 20 and <= 63;
}
