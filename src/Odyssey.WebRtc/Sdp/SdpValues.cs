namespace Odyssey.WebRtc.Sdp;

/// <summary>The <c>o=</c> line (RFC 8866 §5.2). The session id is kept as text: peers send 19-digit ids.</summary>
public sealed record SdpOrigin(string UserName, string SessionId, ulong SessionVersion, string NetworkType, string AddressType, string Address);

/// <summary>One <c>t=</c> line (RFC 8866 §5.9); WebRTC always sends <c>t=0 0</c>.</summary>
public sealed record SdpTiming(ulong Start, ulong Stop);

/// <summary>A <c>c=</c> line (RFC 8866 §5.7). The address keeps any <c>/ttl</c> suffix as written.</summary>
public sealed record SdpConnection(string NetworkType, string AddressType, string Address);

/// <summary>A line the model has no field for (<c>i=</c>, <c>b=</c>, <c>k=</c>, an unknown type letter…), kept verbatim.</summary>
public sealed record SdpLine(char Type, string Value);

/// <summary>
/// An <c>a=</c> line the model has no field for, kept in order so a round trip loses nothing.
/// <see cref="Value"/> is null for a flag (<c>a=name</c>) and empty for <c>a=name:</c>.
/// </summary>
public sealed record SdpAttribute(string Name, string? Value);

/// <summary><c>a=group</c> (RFC 5888), e.g. BUNDLE with the mids it bundles (RFC 9143).</summary>
public sealed record SdpGroup(string Semantics, IReadOnlyList<string> Mids);

/// <summary><c>a=msid-semantic</c> (e.g. <c>WMS *</c>): a legacy line both peers send and ignore.</summary>
public sealed record SdpMsidSemantic(string Semantic, IReadOnlyList<string> Identifiers);

/// <summary><c>a=fingerprint</c> (RFC 8122): hash algorithm (e.g. <c>sha-256</c>) and colon-separated hex value.</summary>
public sealed record SdpFingerprint(string Algorithm, string Value);

/// <summary><c>a=msid</c> (RFC 8830): stream id and optional track id.</summary>
public sealed record SdpMsid(string StreamId, string? TrackId);

/// <summary><c>a=extmap</c> (RFC 8285): header extension id, optional direction, URI and extension attributes.</summary>
public sealed record SdpExtmap(int Id, SdpDirection? Direction, string Uri, string? Attributes);

/// <summary><c>a=rtcp-fb</c> (RFC 4585 §4.2) for one payload type: type (<c>nack</c>, <c>ccm</c>…) and optional parameter (<c>pli</c>, <c>fir</c>).</summary>
public sealed record SdpRtcpFeedback(string Type, string? Parameter)
{
    public static SdpRtcpFeedback Nack { get; } = new("nack", null);

    public static SdpRtcpFeedback Pli { get; } = new("nack", "pli");

    public static SdpRtcpFeedback Fir { get; } = new("ccm", "fir");

    public static SdpRtcpFeedback GoogRemb { get; } = new("goog-remb", null);

    public static SdpRtcpFeedback TransportCc { get; } = new("transport-cc", null);
}

/// <summary>One <c>a=ssrc</c> line (RFC 5576): the SSRC and one source attribute (<c>cname</c>, <c>msid</c>…).</summary>
public sealed record SdpSsrcAttribute(uint Ssrc, string Name, string? Value);

/// <summary><c>a=ssrc-group</c> (RFC 5576 §4.2), e.g. <c>FID</c> pairing a media SSRC with its RTX SSRC.</summary>
public sealed record SdpSsrcGroup(string Semantics, IReadOnlyList<uint> Ssrcs);

/// <summary>The legacy <c>a=sctpmap</c> (draft-ietf-mmusic-sctp-sdp-05) that aiortc still offers: port, app, stream count.</summary>
public sealed record SdpSctpMap(int Port, string Application, int? Streams);

/// <summary><c>a=setup</c> (RFC 4145, RFC 5763): which side opens the DTLS association.</summary>
public enum SdpSetupRole
{
    /// <summary>Offerer: either role; the answer decides.</summary>
    ActPass,

    /// <summary>This side is the DTLS client.</summary>
    Active,

    /// <summary>This side is the DTLS server.</summary>
    Passive,

    /// <summary>No connection yet (RFC 4145 §4).</summary>
    HoldConn,
}

/// <summary>Media direction attribute (RFC 3264 §5.1), from the point of view of the side that wrote it.</summary>
public enum SdpDirection
{
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

/// <summary>RTCP feedback this side supports; answers keep an offered <c>a=rtcp-fb</c> only when it is in the set.</summary>
[Flags]
public enum SdpFeedback
{
    None = 0,

    /// <summary>Generic NACK (RFC 4585 §6.2.1).</summary>
    Nack = 1,

    /// <summary>Picture loss indication (RFC 4585 §6.3.1).</summary>
    Pli = 2,

    /// <summary>Full intra request (RFC 5104 §3.5.1).</summary>
    Fir = 4,

    /// <summary>Receiver-estimated maximum bitrate (draft-alvestrand-rmcat-remb).</summary>
    GoogRemb = 8,

    /// <summary>Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions).</summary>
    TransportCc = 16,
}

/// <summary>What an answer does with an m-line it cannot handle (audio today).</summary>
public enum SdpUnsupportedMedia
{
    /// <summary>Port 0 (RFC 3264 §6): the offerer stops sending that media.</summary>
    Reject,

    /// <summary>Accept it <c>recvonly</c> with the offerer's first codec and drop the packets: keeps a peer happy that insists on it.</summary>
    ReceiveAndDrop,
}
