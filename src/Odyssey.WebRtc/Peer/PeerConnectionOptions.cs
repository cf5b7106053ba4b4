using Odyssey.Media;
using Odyssey.WebRtc.Dtls;
using Odyssey.WebRtc.Ice;
using Odyssey.WebRtc.Rtp;
using Odyssey.WebRtc.Sdp;

namespace Odyssey.WebRtc;

/// <summary>
/// How a <see cref="PeerConnection"/> gathers, negotiates and paces itself (the W3C RTCConfiguration plus
/// the choices a native stack exposes). Defaults suit a receiving client on a real network; tests set
/// <see cref="Ice"/> to loopback only.
/// </summary>
public sealed record PeerConnectionOptions
{
    /// <summary>Frames held for a slow consumer of <see cref="RemoteVideoTrack.Frames"/>: about a second at 30 fps.</summary>
    public const int DefaultReceiveQueueCapacity = 32;

    /// <summary>RFC 3550 §6.2 scales the report interval with bandwidth; one second is what libwebrtc uses for video.</summary>
    public static readonly TimeSpan DefaultRtcpInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// ICE: STUN and TURN servers (<see cref="IceAgentOptions.StunServers"/>, <see cref="IceAgentOptions.TurnServers"/>),
    /// the transport policy (<see cref="IceAgentOptions.TransportPolicy"/>: <see cref="IceTransportPolicy.Relay"/> for
    /// relay only, as W3C RTCConfiguration.iceTransportPolicy), interface restriction
    /// (<see cref="IceAgentOptions.LoopbackOnly"/>, <see cref="IceAgentOptions.Interfaces"/>) and timers.
    /// <see cref="IceAgentOptions.Controlling"/> is ignored: the offerer controls (RFC 8445 §6.1.1).
    /// </summary>
    public IceAgentOptions Ice { get; init; } = new();

    /// <summary>Video codecs, best first; null: VP8 and H.264 (Constrained) Baseline when answering, H.264 Constrained Baseline when offering.</summary>
    public IReadOnlyList<SdpCodecCapability>? VideoCodecs { get; init; }

    /// <summary>Our DTLS role when the offer leaves it to us (<c>a=setup:actpass</c>): client (active) as browsers and aiortc answer.</summary>
    public DtlsRole PreferredDtlsRole { get; init; } = DtlsRole.Client;

    /// <summary>Our certificate; null generates a fresh ECDSA P-256 one per connection.</summary>
    public DtlsCertificate? Certificate { get; init; }

    /// <summary>DTLS timeouts and SRTP profiles.</summary>
    public DtlsOptions Dtls { get; init; } = new();

    /// <summary>
    /// Audio (any m-line we cannot receive): accepted and its packets dropped (counted as foreign), or rejected
    /// in the answer. Receiving is the default because aiortc 1.4, an offerer like the Odyssey streamer, waits
    /// forever on the ICE of a rejected first m-line and then never sends video (its transports start in order).
    /// </summary>
    public SdpUnsupportedMedia UnsupportedMedia { get; init; } = SdpUnsupportedMedia.ReceiveAndDrop;

    /// <summary>
    /// Our video direction. Null, the default: send when offering, receive when answering (the Odyssey
    /// streamer and client). <c>RecvOnly</c> when offering is a WHEP player; <c>SendOnly</c> when answering
    /// is a WHEP server: the offerer then receives, the answerer sends.
    /// </summary>
    public SdpDirection? VideoDirection { get; init; }

    /// <summary>Offer or accept the data-channel m-line (SCTP is part 2; the m-line is negotiated already so the session needs no renegotiation later).</summary>
    public bool DataChannels { get; init; } = true;

    /// <summary>Jitter buffer latency and NACK behaviour of the remote video; the codec is set from the SDP.</summary>
    public JitterBufferOptions JitterBuffer { get; init; } = new();

    /// <summary>Where received frames are rented from; null: <see cref="EncodedPacketPool.Shared"/>.</summary>
    public EncodedPacketPool? PacketPool { get; init; }

    /// <summary>Whole frames queued for the consumer; when full, the newest frame is dropped (counted) and a keyframe requested.</summary>
    public int ReceiveQueueCapacity { get; init; } = DefaultReceiveQueueCapacity;

    /// <summary>Interval of receiver and sender reports; NACK and PLI are not bound to it.</summary>
    public TimeSpan RtcpInterval { get; init; } = DefaultRtcpInterval;

    /// <summary>Send pacing in bits/s; 0 sends each frame's packets at once.</summary>
    public long PacingBitsPerSecond { get; init; }

    /// <summary>
    /// Fault injection for tests and the Odyssey emulator: this fraction (0–1) of outgoing RTP packets,
    /// retransmissions included, is dropped before the wire (counted in <see cref="OutboundVideoStats"/> as
    /// sent). 0, the default, drops nothing; RTCP is never dropped.
    /// </summary>
    public double SendLossRate { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Ice, nameof(Ice));
        ArgumentNullException.ThrowIfNull(Dtls, nameof(Dtls));
        ArgumentNullException.ThrowIfNull(JitterBuffer, nameof(JitterBuffer));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveQueueCapacity, 1, nameof(ReceiveQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfNegative(PacingBitsPerSecond, nameof(PacingBitsPerSecond));
        if (!(SendLossRate is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(SendLossRate), SendLossRate, "PeerConnectionOptions.SendLossRate must be in [0, 1]");
        }
        if (RtcpInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RtcpInterval), RtcpInterval, "PeerConnectionOptions.RtcpInterval must be positive");
        }
    }
}

/// <summary>W3C RTCPeerConnectionState.</summary>
public enum PeerConnectionState
{
    /// <summary>Not yet negotiated, or ICE and DTLS have not started.</summary>
    New,

    /// <summary>ICE checks or the DTLS handshake are running.</summary>
    Connecting,

    /// <summary>ICE connected, DTLS done and SRTP keyed: media flows.</summary>
    Connected,

    /// <summary>ICE lost consent for a while (RFC 7675); may return to Connected.</summary>
    Disconnected,

    /// <summary>ICE failed, DTLS failed (e.g. a fingerprint mismatch), or consent expired; final.</summary>
    Failed,

    /// <summary>Disposed; final.</summary>
    Closed,
}

/// <summary>The type of a session description (W3C RTCSdpType, without pranswer and rollback).</summary>
public enum RtcSdpType
{
    /// <summary>An offer.</summary>
    Offer,

    /// <summary>An answer.</summary>
    Answer,
}

/// <summary>A description as signalled (W3C RTCSessionDescriptionInit): its type and SDP text.</summary>
public sealed record RtcSessionDescription(RtcSdpType Type, string Sdp);

/// <summary>A local candidate to signal (W3C RTCIceCandidateInit): <c>candidate:…</c> and the m-line it belongs to.</summary>
public sealed record RtcIceCandidate(string Candidate, string SdpMid, int SdpMLineIndex);

/// <summary>Where a connection failed, for <see cref="PeerConnectionFailedException"/>.</summary>
public enum PeerConnectionFailureStage
{
    /// <summary>ICE found no working pair, or consent expired.</summary>
    Ice,

    /// <summary>The DTLS handshake failed (fingerprint mismatch, timeout, alert) or the remote SDP named no fingerprint.</summary>
    Dtls,

    /// <summary>The negotiated media could not be set up (no SRTP profile agreed).</summary>
    Media,
}

/// <summary>A connection moved to <see cref="PeerConnectionState.Failed"/>; the stage and the cause are data.</summary>
public sealed class PeerConnectionFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PeerConnectionFailedException(PeerConnectionFailureStage stage, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Stage = stage;
    }

    /// <summary>Creates the exception (for analyzers).</summary>
    public PeerConnectionFailedException()
        : this(PeerConnectionFailureStage.Ice, "The peer connection failed.")
    {
    }

    /// <summary>Creates the exception (for analyzers).</summary>
    public PeerConnectionFailedException(string message)
        : this(PeerConnectionFailureStage.Ice, message)
    {
    }

    /// <summary>Creates the exception (for analyzers).</summary>
    public PeerConnectionFailedException(string message, Exception innerException)
        : this(PeerConnectionFailureStage.Ice, message, innerException)
    {
    }

    /// <summary>Which layer failed.</summary>
    public PeerConnectionFailureStage Stage { get; }

    /// <summary>The DTLS reason when <see cref="Stage"/> is Dtls and the handshake said why.</summary>
    public DtlsFailureReason? DtlsReason => (InnerException as DtlsHandshakeException)?.Reason;
}
