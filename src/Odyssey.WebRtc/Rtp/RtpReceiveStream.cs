using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Odyssey.Media;

namespace Odyssey.WebRtc.Rtp;

/// <summary>What a receive stream is told about its source by signalling (the SDP).</summary>
public sealed record RtpReceiveStreamOptions
{
    /// <summary>SSRC of the media packets.</summary>
    public required uint MediaSsrc { get; init; }

    /// <summary>Payload type of the media packets.</summary>
    public required byte PayloadType { get; init; }

    /// <summary>SSRC of the RTX stream (RFC 4588, <c>a=ssrc-group:FID</c>), when negotiated.</summary>
    public uint? RtxSsrc { get; init; }

    /// <summary>Payload type of RTX packets (<c>a=fmtp:&lt;rtx&gt; apt=&lt;pt&gt;</c>), when negotiated.</summary>
    public byte? RtxPayloadType { get; init; }

    /// <summary>Our own SSRC, the sender of receiver reports and feedback.</summary>
    public uint LocalSsrc { get; init; } = 1;

    /// <summary>Our CNAME for SDES; RFC 3550 §6.1 wants one in every compound packet.</summary>
    public string Cname { get; init; } = "odyssey";

    /// <summary>Jitter buffer behaviour (codec, latency, NACK retries).</summary>
    public JitterBufferOptions JitterBuffer { get; init; } = new();
}

/// <summary>Cumulative statistics of a receive stream, for the connection's stats.</summary>
public readonly record struct RtpReceiveStats(
    JitterBufferCounters Buffer,
    long CumulativeLost,
    uint Jitter,
    long Malformed,
    long Foreign,
    long NackPacketsSent,
    long PictureLossIndicationsSent);

/// <summary>
/// The receive side of one video source: parses plaintext RTP (after SRTP), unwraps RTX (RFC 4588
/// §4: the original sequence number leads the payload), feeds the jitter buffer and the reception
/// statistics, and writes the RTCP the receiver owes: RR + SDES, generic NACK, PLI.
/// </summary>
internal sealed class RtpReceiveStream
{
    /// <summary>Bytes of the original sequence number at the start of an RTX payload.</summary>
    private const int OriginalSequenceSize = 2;

    private readonly RtpReceiveStreamOptions _options;
    private readonly JitterBuffer _buffer;
    private readonly ReceiverStatistics _statistics;
    private readonly ushort[] _nackScratch;
    private long _malformed;
    private long _foreign;
    private long _nackPackets;
    private long _plis;

    public RtpReceiveStream(RtpReceiveStreamOptions options, EncodedPacketPool pool)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _buffer = new JitterBuffer(options.JitterBuffer, pool);
        _statistics = new ReceiverStatistics(options.MediaSsrc, options.JitterBuffer.ClockRate);
        _nackScratch = new ushort[options.JitterBuffer.MaxNackListSize];
    }

    public RtpReceiveStats Stats => new(_buffer.Counters, _statistics.CumulativeLost, _statistics.Jitter, _malformed, _foreign, _nackPackets, _plis);

    public JitterBuffer Buffer => _buffer;

    /// <summary>Takes one plaintext RTP packet; false when it is malformed or not this stream's.</summary>
    public bool ReceiveRtp(ReadOnlySpan<byte> datagram, TimeSpan now)
    {
        if (!RtpPacket.TryParse(datagram, out var packet, out _, out _))
        {
            _malformed++;
            return false;
        }

        var payload = packet.Payload;
        var sequence = packet.SequenceNumber;
        var retransmitted = false;
        if (packet.Ssrc == _options.MediaSsrc && packet.PayloadType == _options.PayloadType)
        {
            // Plain retransmissions (no RTX) look like any other packet.
        }
        else if (packet.Ssrc == _options.RtxSsrc && packet.PayloadType == _options.RtxPayloadType)
        {
            if (payload.Length <= OriginalSequenceSize)
            {
                // Padding-only RTX packets are bandwidth probes; nothing to store.
                return payload.Length == 0;
            }

            sequence = BinaryPrimitives.ReadUInt16BigEndian(payload);
            payload = payload[OriginalSequenceSize..];
            retransmitted = true;
        }
        else
        {
            _foreign++;
            return false;
        }

        _buffer.Insert(sequence, packet.Timestamp, packet.Marker, payload, now, retransmitted, out var extended);
        _statistics.OnPacket(extended, packet.Timestamp, now, retransmitted);
        return true;
    }

    /// <summary>Takes a plaintext compound RTCP packet: sender reports of our source feed LSR/DLSR.</summary>
    public bool ReceiveRtcp(ReadOnlySpan<byte> compound, TimeSpan now)
    {
        var reader = new RtcpCompoundReader(compound);
        while (reader.TryReadNext(out var packet))
        {
            if (RtcpSenderReport.TryRead(packet, out var report, out _) && report.SenderSsrc == _options.MediaSsrc)
            {
                _statistics.OnSenderReport(report.NtpTimestamp, now);
            }
        }

        if (reader.Error != RtpError.None)
        {
            _malformed++;
            return false;
        }

        return true;
    }

    /// <summary>The next whole frame (owned: release it), or false.</summary>
    public bool TryGetFrame(TimeSpan now, [NotNullWhen(true)] out EncodedPacket? frame) => _buffer.TryGetFrame(now, out frame);

    /// <summary>The decoder lost its reference: a PLI goes out with the next feedback.</summary>
    public void RequestKeyframe() => _buffer.RequestKeyframe();

    /// <summary>
    /// Writes the RTCP due now into <paramref name="destination"/>: RR + SDES when
    /// <paramref name="includeReport"/> (the regular interval) or when feedback is due (RFC 4585
    /// §3.1 keeps compound packets), then a NACK and a PLI when due. Returns 0 when nothing is due.
    /// </summary>
    public int WriteRtcp(Span<byte> destination, TimeSpan now, bool includeReport)
    {
        var nackCount = _buffer.GetNackList(now, _nackScratch);
        var pli = _buffer.TakeKeyframeRequest(now);
        if (!includeReport && nackCount == 0 && !pli)
        {
            return 0;
        }

        var block = _statistics.CreateReportBlock(now);
        var length = RtcpWriter.WriteReceiverReport(destination, _options.LocalSsrc, new ReadOnlySpan<RtcpReportBlock>(in block));
        length += RtcpWriter.WriteSourceDescription(destination[length..], _options.LocalSsrc, _options.Cname);
        if (nackCount > 0)
        {
            // Each lost number may need its own 4-byte item; send what fits, the rest goes next time.
            var fits = Math.Min(nackCount, (destination.Length - length - RtcpPacket.HeaderSize - RtcpFeedback.SsrcsSize - (pli ? 12 : 0)) / RtcpFeedback.NackItemSize);
            if (fits > 0)
            {
                length += RtcpWriter.WriteNack(destination[length..], _options.LocalSsrc, _options.MediaSsrc, _nackScratch.AsSpan(0, fits));
                _nackPackets++;
            }
        }

        if (pli)
        {
            length += RtcpWriter.WritePictureLossIndication(destination[length..], _options.LocalSsrc, _options.MediaSsrc);
            _plis++;
        }

        return length;
    }

    /// <summary>Sets the NACK retry interval from the measured round trip.</summary>
    public void SetRoundTripTime(TimeSpan roundTripTime) => _buffer.SetRoundTripTime(roundTripTime);
}
