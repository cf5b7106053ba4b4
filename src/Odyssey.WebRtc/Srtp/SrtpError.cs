namespace Odyssey.WebRtc.Srtp;

/// <summary>Why a packet was not protected or not accepted. <see cref="None"/> means it was.</summary>
public enum SrtpError
{
    /// <summary>The packet was processed.</summary>
    None = 0,

    /// <summary>Shorter than a header plus the tag (and, for SRTCP, the index word).</summary>
    TooShort,

    /// <summary>Not RTP/RTCP version 2, or the CSRC list / header extension runs past the end.</summary>
    MalformedHeader,

    /// <summary>The tag did not verify: tampered, wrong key, or not SRTP at all.</summary>
    AuthenticationFailed,

    /// <summary>The packet index was already accepted (RFC 3711 §3.3.2).</summary>
    Replayed,

    /// <summary>The packet index lies behind the replay window, so it cannot be told from a replay.</summary>
    TooOld,

    /// <summary>The destination has no room for the tag (and index) that protection appends.</summary>
    BufferTooSmall,

    /// <summary>A new SSRC arrived while <see cref="SrtpOptions.MaxStreams"/> streams were already tracked.</summary>
    TooManyStreams,

    /// <summary>The 31-bit SRTCP index or 48-bit SRTP index would wrap: the keys must be renegotiated.</summary>
    IndexExhausted,
}
