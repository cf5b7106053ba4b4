namespace Odyssey.WebRtc.Sdp;

/// <summary>One m-line and everything under it up to the next m-line.</summary>
public sealed class MediaDescription
{
    /// <summary>The SCTP port a data channel uses when the offer names none (RFC 8841 §5.2 default).</summary>
    public const int DefaultSctpPort = 5000;

    /// <summary>RFC 8841 §6: a peer that omits max-message-size can take 64 KiB.</summary>
    public const ulong DefaultMaxMessageSize = 65536;

    public MediaDescription(string kind, int port, string protocol)
    {
        Kind = kind;
        Port = port;
        Protocol = protocol;
    }

    /// <summary><c>video</c>, <c>audio</c>, <c>application</c>…</summary>
    public string Kind { get; set; }

    /// <summary>Transport port; 0 rejects the m-line (RFC 3264 §6); 9 is the JSEP placeholder.</summary>
    public int Port { get; set; }

    /// <summary>The <c>/count</c> after the port, rarely used.</summary>
    public int? PortCount { get; set; }

    /// <summary>e.g. <c>UDP/TLS/RTP/SAVPF</c>, <c>UDP/DTLS/SCTP</c>, legacy <c>DTLS/SCTP</c>.</summary>
    public string Protocol { get; set; }

    /// <summary>The format list of the m-line: payload types for RTP, <c>webrtc-datachannel</c> or an SCTP port otherwise.</summary>
    public List<string> Formats { get; } = [];

    public SdpConnection? Connection { get; set; }

    /// <summary><c>a=rtcp</c> as written (e.g. <c>9 IN IP4 0.0.0.0</c>).</summary>
    public string? Rtcp { get; set; }

    public string? IceUfrag { get; set; }

    public string? IcePwd { get; set; }

    public List<string> IceOptions { get; } = [];

    public List<SdpFingerprint> Fingerprints { get; } = [];

    public SdpSetupRole? Setup { get; set; }

    public string? Mid { get; set; }

    public List<SdpExtmap> Extmaps { get; } = [];

    /// <summary>The direction attribute; null when absent, which means <c>sendrecv</c> (RFC 3264 §5.1).</summary>
    public SdpDirection? Direction { get; set; }

    public List<SdpMsid> Msids { get; } = [];

    public bool RtcpMux { get; set; }

    public bool RtcpReducedSize { get; set; }

    /// <summary>RTP payload types with their rtpmap/fmtp/rtcp-fb, in the order the lines first named them.</summary>
    public List<SdpCodec> Codecs { get; } = [];

    public List<SdpSsrcGroup> SsrcGroups { get; } = [];

    public List<SdpSsrcAttribute> Ssrcs { get; } = [];

    public int? SctpPort { get; set; }

    public SdpSctpMap? SctpMap { get; set; }

    public ulong? MaxMessageSize { get; set; }

    /// <summary>
    /// Each <c>a=candidate</c> value as written, without the <c>candidate:</c> prefix; the ICE layer parses them.
    /// </summary>
    public List<string> Candidates { get; } = [];

    public bool EndOfCandidates { get; set; }

    /// <summary>Attributes the model has no field for, in their original order.</summary>
    public List<SdpAttribute> Attributes { get; } = [];

    /// <summary>Non-attribute lines the model has no field for (<c>i=</c>, <c>b=</c>, extra <c>c=</c>…).</summary>
    public List<SdpLine> OtherLines { get; } = [];

    /// <summary>True when the protocol carries RTP, so formats are payload types.</summary>
    public bool IsRtp => IsRtpProtocol(Protocol);

    /// <summary>True for a data-channel m-line in the modern or the legacy form.</summary>
    public bool IsDataChannel => IsSctpProtocol(Protocol);

    /// <summary>The direction in force: the attribute, or <c>sendrecv</c> when absent.</summary>
    public SdpDirection EffectiveDirection => Direction ?? SdpDirection.SendRecv;

    /// <summary>
    /// The peer's SCTP port: <c>a=sctp-port</c>, else the legacy <c>a=sctpmap</c> or format, else 5000.
    /// </summary>
    public int EffectiveSctpPort
    {
        get
        {
            if (SctpPort is { } port)
            {
                return port;
            }

            if (SctpMap is { } map)
            {
                return map.Port;
            }

            return Formats.Count > 0 && int.TryParse(Formats[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var legacy) && legacy <= ushort.MaxValue
                ? legacy
                : DefaultSctpPort;
        }
    }

    /// <summary>The codec for a payload type, or null.</summary>
    public SdpCodec? FindCodec(int payloadType)
    {
        foreach (var codec in Codecs)
        {
            if (codec.PayloadType == payloadType)
            {
                return codec;
            }
        }

        return null;
    }

    /// <summary>The extension id negotiated for a header-extension URI, or null.</summary>
    public int? FindExtmapId(string uri)
    {
        foreach (var extmap in Extmaps)
        {
            if (string.Equals(extmap.Uri, uri, StringComparison.Ordinal))
            {
                return extmap.Id;
            }
        }

        return null;
    }

    /// <summary>The RTX payload type repairing <paramref name="payloadType"/>, or null.</summary>
    public int? FindRtxPayloadType(int payloadType)
    {
        foreach (var codec in Codecs)
        {
            if (codec.IsRtx && codec.AssociatedPayloadType == payloadType)
            {
                return codec.PayloadType;
            }
        }

        return null;
    }

    internal static bool IsRtpProtocol(string protocol) => protocol.Contains("RTP/", StringComparison.Ordinal);

    internal static bool IsSctpProtocol(string protocol) =>
        protocol is "UDP/DTLS/SCTP" or "DTLS/SCTP" or "TCP/DTLS/SCTP";

    public override string ToString() => $"m={Kind} {Port} {Protocol} {string.Join(' ', Formats)}";
}
