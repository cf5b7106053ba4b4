using Odyssey.Media;
using Odyssey.WebRtc.Ice;
using Odyssey.WebRtc.Srtp;

namespace Odyssey.WebRtc;

/// <summary>A snapshot of a connection's counters (the parts of W3C getStats() this stack has).</summary>
/// <param name="State">The connection state when the snapshot was taken.</param>
/// <param name="Inbound">The remote video stream, when one was negotiated.</param>
/// <param name="Outbound">Our video stream, when one was negotiated.</param>
/// <param name="SrtpInbound">SRTP/SRTCP we unprotected: authentication failures, replays, too old, malformed.</param>
/// <param name="SrtpOutbound">SRTP/SRTCP we protected.</param>
/// <param name="Ice">STUN checks and datagrams dropped by the ICE agent.</param>
/// <param name="DatagramsBeforeKeys">RTP/RTCP that arrived before DTLS had produced the SRTP keys (dropped; NACK recovers them).</param>
public sealed record PeerConnectionStats(
    PeerConnectionState State,
    InboundVideoStats? Inbound,
    OutboundVideoStats? Outbound,
    SrtpStatistics SrtpInbound,
    SrtpStatistics SrtpOutbound,
    IceStats Ice,
    long DatagramsBeforeKeys);

/// <summary>The receive side of the remote video (W3C inbound-rtp, plus the jitter buffer's decisions).</summary>
/// <param name="Ssrc">The media SSRC from the remote SDP.</param>
/// <param name="Codec">The negotiated codec.</param>
/// <param name="PacketsReceived">RTP packets stored (media and repaired by RTX), duplicates excluded.</param>
/// <param name="BytesReceived">Payload bytes of those packets.</param>
/// <param name="PacketsLost">RFC 3550 cumulative loss: expected minus received (retransmissions fill holes).</param>
/// <param name="Duplicates">Packets received twice.</param>
/// <param name="Late">Packets that arrived after their frame was emitted or given up.</param>
/// <param name="Retransmitted">Packets that came as retransmissions (RTX or plain).</param>
/// <param name="Recovered">Missing packets that a retransmission filled in time.</param>
/// <param name="NackPacketsSent">RTCP NACK packets sent.</param>
/// <param name="NackedPackets">Sequence numbers asked for (all NACKs together).</param>
/// <param name="PliSent">PLIs sent (a frame was lost, or the decoder asked).</param>
/// <param name="Jitter">RFC 3550 interarrival jitter.</param>
/// <param name="FramesReceived">Whole frames delivered to <see cref="RemoteVideoTrack.Frames"/>.</param>
/// <param name="FramesDropped">Frames given up as incomplete.</param>
/// <param name="FramesDiscarded">Complete delta frames discarded while waiting for a keyframe.</param>
/// <param name="FramesDroppedByConsumer">Complete frames dropped because the consumer's queue was full.</param>
/// <param name="Malformed">RTP/RTCP that did not parse after SRTP.</param>
/// <param name="Foreign">RTP of other SSRCs or payload types (audio received and dropped lands here).</param>
public sealed record InboundVideoStats(
    uint Ssrc,
    VideoCodec Codec,
    long PacketsReceived,
    long BytesReceived,
    long PacketsLost,
    long Duplicates,
    long Late,
    long Retransmitted,
    long Recovered,
    long NackPacketsSent,
    long NackedPackets,
    long PliSent,
    TimeSpan Jitter,
    long FramesReceived,
    long FramesDropped,
    long FramesDiscarded,
    long FramesDroppedByConsumer,
    long Malformed,
    long Foreign);

/// <summary>The send side of our video (W3C outbound-rtp and remote-inbound-rtp).</summary>
/// <param name="Ssrc">Our media SSRC.</param>
/// <param name="Codec">The negotiated codec.</param>
/// <param name="FramesSent">Frames handed to <see cref="LocalVideoTrack.SendFrame"/> while connected.</param>
/// <param name="FramesNotSent">Frames handed over before the connection was up (dropped).</param>
/// <param name="PacketsSent">RTP packets sent, retransmissions included.</param>
/// <param name="PayloadBytesSent">RTP payload bytes sent.</param>
/// <param name="Retransmissions">Packets resent for NACKs.</param>
/// <param name="NacksReceived">NACK packets received.</param>
/// <param name="PliReceived">PLIs received.</param>
/// <param name="FirReceived">FIRs received.</param>
/// <param name="RoundTripTime">From the receiver's reports (RFC 3550 §6.4.1 LSR/DLSR), once one came.</param>
public sealed record OutboundVideoStats(
    uint Ssrc,
    VideoCodec Codec,
    long FramesSent,
    long FramesNotSent,
    long PacketsSent,
    long PayloadBytesSent,
    long Retransmissions,
    long NacksReceived,
    long PliReceived,
    long FirReceived,
    TimeSpan? RoundTripTime);
