namespace Odyssey.WebRtc.Sdp;

/// <summary>RTP header extension URIs (RFC 8285 <c>a=extmap</c>) this stack knows.</summary>
public static class SdpHeaderExtensions
{
    /// <summary>RFC 9143 §14: the mid in every packet, how a BUNDLE receiver routes RTP to its m-line.</summary>
    public const string Mid = "urn:ietf:params:rtp-hdrext:sdes:mid";

    /// <summary>Send time for receiver-side bandwidth estimation; aiortc and Chromium both offer it.</summary>
    public const string AbsSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";

    /// <summary>Sequence numbers for transport-cc feedback; needed when <see cref="SdpFeedback.TransportCc"/> is on.</summary>
    public const string TransportWideCc = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
}

/// <summary>The SSRCs and names of the one video stream this side sends (RFC 5576 <c>a=ssrc</c>, RFC 8830 <c>a=msid</c>).</summary>
public sealed record SdpMediaSender(uint Ssrc, uint? RtxSsrc, string CName, string StreamId, string TrackId)
{
    /// <summary>Random SSRCs (RFC 3550 §8.1 asks for random ones) and random names.</summary>
    public static SdpMediaSender CreateRandom()
    {
        Span<byte> ssrcs = stackalloc byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(ssrcs);
        var ssrc = BitConverter.ToUInt32(ssrcs);
        var rtx = BitConverter.ToUInt32(ssrcs[4..]);
        if (rtx == ssrc)
        {
            rtx = ~ssrc;
        }

        // RFC 7022: a CNAME is a random identifier of at least 96 bits; 12 bytes in base64 are 16 characters.
        var cname = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        return new SdpMediaSender(ssrc, rtx, cname, Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
    }
}

/// <summary>
/// What this side puts into an offer or answer: its ICE credentials and certificate fingerprint, the codecs and
/// feedback it handles, and the choices the negotiation leaves open. One options type serves both roles; the
/// few role-specific members say which role reads them.
/// </summary>
public sealed class SdpLocalOptions
{
    /// <summary>Chromium's receive limit for data-channel messages; aiortc offers 65536 and can take this much.</summary>
    public const ulong DefaultMaxMessageSize = 262144;

    /// <summary>Our ICE username fragment (RFC 8839 §5.4: at least 4 ice-chars).</summary>
    public required string IceUfrag { get; init; }

    /// <summary>Our ICE password (at least 22 ice-chars).</summary>
    public required string IcePwd { get; init; }

    /// <summary>The fingerprint(s) of our DTLS certificate.</summary>
    public required IReadOnlyList<SdpFingerprint> Fingerprints { get; init; }

    /// <summary>Local candidates to put in the description (the value after <c>candidate:</c>); empty when trickling.</summary>
    public IReadOnlyList<string> Candidates { get; init; } = [];

    /// <summary>Adds <c>a=end-of-candidates</c>: gathering finished before the description was written.</summary>
    public bool EndOfCandidates { get; init; }

    /// <summary>Advertises <c>a=ice-options:trickle</c> (RFC 8840): we accept candidates after the description.</summary>
    public bool Trickle { get; init; } = true;

    /// <summary>
    /// Video codecs, best first. Answers keep offered payload types that match one (in the offerer's order);
    /// offers list them in this order. Null: <see cref="SdpCodecCapability.DefaultReceive"/> for answers,
    /// H.264 Constrained Baseline for offers.
    /// </summary>
    public IReadOnlyList<SdpCodecCapability>? VideoCodecs { get; init; }

    /// <summary>Keep (answer) or add (offer) an RTX payload type per codec (RFC 4588), for NACK repair.</summary>
    public bool Rtx { get; init; } = true;

    /// <summary>
    /// RTCP feedback we act on. Default NACK, PLI and FIR: what the RTP layer answers and sends. Turn on REMB
    /// and transport-cc only once the RTP layer produces them: negotiated but never sent, they leave the
    /// sender's bandwidth estimate without the input it was promised.
    /// </summary>
    public SdpFeedback Feedback { get; init; } = SdpFeedback.Nack | SdpFeedback.Pli | SdpFeedback.Fir;

    /// <summary>Header extensions we understand; answers keep offered ones in this list with the offerer's ids.</summary>
    public IReadOnlyList<string> HeaderExtensions { get; init; } = [SdpHeaderExtensions.Mid, SdpHeaderExtensions.AbsSendTime];

    /// <summary>Echo <c>a=extmap-allow-mixed</c> (RFC 8285 §6): only when the RTP layer reads two-byte headers too.</summary>
    public bool ExtmapAllowMixed { get; init; }

    /// <summary>Echo (answer) or offer <c>a=rtcp-rsize</c> (RFC 5506): we accept reduced-size RTCP.</summary>
    public bool ReducedSizeRtcp { get; init; } = true;

    /// <summary>Video direction we want. Null: <c>recvonly</c> for answers (a client), <c>sendonly</c> for offers (an emulator).</summary>
    public SdpDirection? VideoDirection { get; init; }

    /// <summary>Our sending stream when the direction includes sending; null picks random SSRCs.</summary>
    public SdpMediaSender? Sender { get; init; }

    /// <summary>Accept (answer) or add (offer) a data-channel m-line.</summary>
    public bool DataChannels { get; init; } = true;

    /// <summary>Our SCTP port (RFC 8841).</summary>
    public int SctpPort { get; init; } = MediaDescription.DefaultSctpPort;

    /// <summary>Largest data-channel message we receive (RFC 8841 §6).</summary>
    public ulong MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    /// <summary>Answers only: our role when the offer says <c>actpass</c>. Active = we are the DTLS client, as aiortc and Chromium answer.</summary>
    public SdpSetupRole ActPassAnswer { get; init; } = SdpSetupRole.Active;

    /// <summary>Answers only: what to do with an m-line we do not handle (audio today).</summary>
    public SdpUnsupportedMedia UnsupportedMedia { get; init; } = SdpUnsupportedMedia.Reject;

    /// <summary>The <c>c=</c> address and m-line port to write; null writes the JSEP placeholders 0.0.0.0 and 9.</summary>
    public System.Net.IPEndPoint? DefaultCandidate { get; init; }

    /// <summary>The o= session id; null picks a random one (RFC 8866 §5.2).</summary>
    public ulong? SessionId { get; init; }
}
