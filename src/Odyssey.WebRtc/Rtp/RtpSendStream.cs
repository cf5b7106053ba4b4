using System.Text;
using Odyssey.Media;
using Odyssey.WebRtc.Payloads;

namespace Odyssey.WebRtc.Rtp;

/// <summary>What a send stream is told by signalling and configuration.</summary>
public sealed record RtpSendStreamOptions
{
    /// <summary>SSRC of the media packets.</summary>
    public required uint Ssrc { get; init; }

    /// <summary>Negotiated payload type.</summary>
    public required byte PayloadType { get; init; }

    /// <summary>Codec of the frames (selects the packetizer).</summary>
    public VideoCodec Codec { get; init; } = VideoCodec.H264;

    /// <summary>SSRC for RFC 4588 retransmissions; without it, NACKed packets are resent as they were.</summary>
    public uint? RtxSsrc { get; init; }

    /// <summary>RTX payload type; required with <see cref="RtxSsrc"/>.</summary>
    public byte? RtxPayloadType { get; init; }

    /// <summary>RTP clock rate (90 kHz for video).</summary>
    public int ClockRate { get; init; } = 90_000;

    /// <summary>Largest RTP payload (see <see cref="RtpPacketizer.DefaultMaxPayloadSize"/>).</summary>
    public int MaxPayloadSize { get; init; } = RtpPacketizer.DefaultMaxPayloadSize;

    /// <summary>Packets kept for retransmission; a power of two. 1024 covers about a second of HD video.</summary>
    public int HistorySize { get; init; } = 1024;

    /// <summary>Pacing rate in bits/s; 0 sends every packet at once.</summary>
    public long PacingBitsPerSecond { get; init; }

    /// <summary>Bytes that may leave back to back when the pacer's budget is full (about ten packets).</summary>
    public int PacingBurstBytes { get; init; } = 12_000;

    /// <summary>Sequence number of the first packet (RFC 3550 §5.1 wants it random; tests fix it).</summary>
    public ushort InitialSequenceNumber { get; init; } = (ushort)Random.Shared.Next(ushort.MaxValue + 1);

    /// <summary>RTP timestamp of Pts zero (random per RFC 3550 §5.1).</summary>
    public uint InitialTimestamp { get; init; } = (uint)Random.Shared.NextInt64(uint.MaxValue + 1L);

    /// <summary>The one-byte header extension id negotiated for <c>urn:ietf:params:rtp-hdrext:sdes:mid</c>.</summary>
    public int? MidExtensionId { get; init; }

    /// <summary>The media section's mid, written in every packet when <see cref="MidExtensionId"/> is set (BUNDLE demux).</summary>
    public string? Mid { get; init; }

    /// <summary>Our CNAME for SDES.</summary>
    public string Cname { get; init; } = "odyssey";
}

/// <summary>Cumulative statistics of a send stream.</summary>
public readonly record struct RtpSendStats(
    long PacketsSent,
    long PayloadBytesSent,
    long Retransmissions,
    long NacksReceived,
    long PictureLossIndicationsReceived,
    long FullIntraRequestsReceived,
    long QueueOverflows,
    TimeSpan? RoundTripTime,
    ulong? ReceiverEstimatedBitrate);

/// <summary>
/// The send side of one video source: packetizes frames straight into a packet history, paces them
/// out, answers NACK from the history (RTX when negotiated), turns PLI/FIR into
/// <see cref="KeyframeRequested"/>, writes sender reports and measures the RTT from the receiver's
/// LSR/DLSR (RFC 3550 §6.4.1). Plaintext packets go to the given handler (SRTP protects them there).
/// </summary>
internal sealed class RtpSendStream
{
    /// <summary>Header room per history slot: 12 fixed bytes plus a padded extension block.</summary>
    private const int HeaderRoom = 64;

    /// <summary>Bytes of the original sequence number before an RTX payload (RFC 4588 §4).</summary>
    private const int OriginalSequenceSize = 2;

    /// <summary>Sender reports remembered for matching an RR's LSR.</summary>
    private const int SenderReportMemory = 8;

    /// <summary>Floor of the interval between two retransmissions of one packet.</summary>
    private static readonly TimeSpan MinRetransmitInterval = TimeSpan.FromMilliseconds(10);

    private readonly RtpSendStreamOptions _options;
    private readonly DatagramHandler _send;
    private readonly RtpPacketizer _packetizer;
    private readonly PacketHistory _history;
    private readonly Pacer _pacer;
    private readonly byte[] _rtxBuffer;
    private readonly byte[] _midBytes;
    private readonly ushort[] _mediaQueue;
    private readonly ushort[] _retransmitQueue;
    private readonly uint[] _reportMiddles = new uint[SenderReportMemory];
    private readonly TimeSpan[] _reportTimes = new TimeSpan[SenderReportMemory];
    private int _mediaHead;
    private int _mediaCount;
    private int _retransmitHead;
    private int _retransmitCount;
    private int _reportNext;
    private ushort _sequence;
    private ushort _rtxSequence;
    private bool _hasFrame;
    private uint _lastTimestamp;
    private TimeSpan _lastFrameTime;
    private int _lastFirSequence = -1;

    private long _packetsSent;
    private long _payloadBytesSent;
    private long _retransmissions;
    private long _nacks;
    private long _plis;
    private long _firs;
    private long _overflows;
    private TimeSpan? _roundTripTime;
    private ulong? _remb;

    public RtpSendStream(RtpSendStreamOptions options, DatagramHandler send)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(send);
        if (options.RtxSsrc.HasValue != options.RtxPayloadType.HasValue)
        {
            throw new ArgumentException("RTX needs both RtxSsrc and RtxPayloadType", nameof(options));
        }

        if (options.MidExtensionId.HasValue != (options.Mid is not null))
        {
            throw new ArgumentException("the mid extension needs both MidExtensionId and Mid", nameof(options));
        }

        _options = options;
        _send = send;
        _packetizer = RtpPacketizer.Create(options.Codec, options.MaxPayloadSize);
        _history = new PacketHistory(options.HistorySize, options.MaxPayloadSize + HeaderRoom);
        _pacer = new Pacer(options.PacingBitsPerSecond / 8, Math.Max(options.PacingBurstBytes, options.MaxPayloadSize + HeaderRoom));
        _rtxBuffer = new byte[options.MaxPayloadSize + HeaderRoom + OriginalSequenceSize];
        _midBytes = options.Mid is null ? [] : Encoding.ASCII.GetBytes(options.Mid);
        _mediaQueue = new ushort[options.HistorySize];
        _retransmitQueue = new ushort[options.HistorySize];
        _sequence = options.InitialSequenceNumber;
        _rtxSequence = (ushort)Random.Shared.Next(ushort.MaxValue + 1);
    }

    /// <summary>Raised (on the caller's thread) when the receiver asks for a keyframe by PLI or FIR.</summary>
    public event EventHandler? KeyframeRequested;

    public RtpSendStats Stats => new(_packetsSent, _payloadBytesSent, _retransmissions, _nacks, _plis, _firs, _overflows, _roundTripTime, _remb);

    /// <summary>Packets waiting for the pacer.</summary>
    public int QueuedPackets => _mediaCount + _retransmitCount;

    /// <summary>The pacing rate in bits/s (0: unpaced); may follow the receiver's REMB.</summary>
    public long PacingBitsPerSecond
    {
        get => _pacer.BytesPerSecond * 8;
        set => _pacer.BytesPerSecond = value / 8;
    }

    /// <summary>Packetizes <paramref name="frame"/> at its Pts (mapped to the RTP clock) and sends what the pacer allows.</summary>
    public void SendFrame(EncodedPacket frame, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var ticks = frame.Pts.Ticks * _options.ClockRate / TimeSpan.TicksPerSecond;
        SendFrame(frame.Data, unchecked(_options.InitialTimestamp + (uint)ticks), now);
    }

    /// <summary>Packetizes <paramref name="frame"/> with RTP timestamp <paramref name="timestamp"/> and sends what the pacer allows.</summary>
    public void SendFrame(ReadOnlySpan<byte> frame, uint timestamp, TimeSpan now)
    {
        _packetizer.Begin(frame);
        while (true)
        {
            var sequence = _sequence;
            var buffer = _history.Reserve(sequence);
            var writer = new RtpPacketWriter(buffer, _options.PayloadType, sequence, timestamp, _options.Ssrc, marker: false);
            if (_options.MidExtensionId is { } midId)
            {
                writer.AddExtension(midId, _midBytes);
            }

            var payload = writer.Payload;
            if (!_packetizer.TryWriteNext(frame, payload, out var written, out var marker))
            {
                break;
            }

            var length = writer.Complete(written);
            if (marker)
            {
                buffer[1] |= 0x80;
            }

            _history.Commit(sequence, length);
            _sequence++;
            Enqueue(_mediaQueue, ref _mediaHead, ref _mediaCount, sequence);
        }

        _hasFrame = true;
        _lastTimestamp = timestamp;
        _lastFrameTime = now;
        Flush(now);
    }

    /// <summary>Sends queued packets (retransmissions first) while the pacer's budget lasts; returns how many.</summary>
    public int Flush(TimeSpan now)
    {
        var sent = 0;
        while (_retransmitCount > 0)
        {
            var sequence = _retransmitQueue[_retransmitHead];
            if (!_history.TryGet(sequence, out var packet))
            {
                Dequeue(ref _retransmitHead, ref _retransmitCount, _retransmitQueue.Length);
                continue;
            }

            var outgoing = BuildRetransmission(packet);
            if (!_pacer.TryConsume(outgoing.Length, now))
            {
                return sent;
            }

            Dequeue(ref _retransmitHead, ref _retransmitCount, _retransmitQueue.Length);
            _send(outgoing);
            _retransmissions++;
            sent++;
        }

        while (_mediaCount > 0)
        {
            var sequence = _mediaQueue[_mediaHead];
            if (!_history.TryGet(sequence, out var packet))
            {
                Dequeue(ref _mediaHead, ref _mediaCount, _mediaQueue.Length);
                continue;
            }

            if (!_pacer.TryConsume(packet.Length, now))
            {
                return sent;
            }

            Dequeue(ref _mediaHead, ref _mediaCount, _mediaQueue.Length);
            _send(packet);
            _packetsSent++;
            _payloadBytesSent += RtpPacket.Parse(packet).Payload.Length;
            sent++;
        }

        return sent;
    }

    /// <summary>When the next queued packet may go; null when nothing waits.</summary>
    public TimeSpan? NextSendTime(TimeSpan now)
    {
        if (QueuedPackets == 0)
        {
            return null;
        }

        var sequence = _retransmitCount > 0 ? _retransmitQueue[_retransmitHead] : _mediaQueue[_mediaHead];
        var size = _history.TryGet(sequence, out var packet) ? packet.Length : 0;
        return now + _pacer.TimeUntilAvailable(size, now);
    }

    /// <summary>Handles the receiver's RTCP: RR (RTT), NACK (retransmit), PLI/FIR (keyframe), REMB (bitrate).</summary>
    public bool ReceiveRtcp(ReadOnlySpan<byte> compound, TimeSpan now)
    {
        var reader = new RtcpCompoundReader(compound);
        var keyframe = false;
        while (reader.TryReadNext(out var packet))
        {
            if (RtcpReceiverReport.TryRead(packet, out var rr, out _))
            {
                for (var i = 0; i < rr.ReportCount; i++)
                {
                    OnReportBlock(rr.GetReportBlock(i), now);
                }
            }
            else if (RtcpSenderReport.TryRead(packet, out var sr, out _))
            {
                for (var i = 0; i < sr.ReportCount; i++)
                {
                    OnReportBlock(sr.GetReportBlock(i), now);
                }
            }
            else if (RtcpFeedback.TryRead(packet, out var feedback, out _))
            {
                keyframe |= OnFeedback(feedback, now);
            }
        }

        if (keyframe)
        {
            KeyframeRequested?.Invoke(this, EventArgs.Empty);
        }

        Flush(now);
        return reader.Error == RtpError.None;
    }

    /// <summary>
    /// Writes SR + SDES (RFC 3550 §6.4.1): <paramref name="utcNow"/> as NTP time and the same instant
    /// on the RTP clock, extrapolated from the last frame sent. Returns the bytes written.
    /// </summary>
    public int WriteSenderReport(Span<byte> destination, DateTime utcNow, TimeSpan now)
    {
        var ntp = NtpTime.FromDateTime(utcNow);
        var timestamp = _hasFrame
            ? unchecked(_lastTimestamp + (uint)((now - _lastFrameTime).Ticks * _options.ClockRate / TimeSpan.TicksPerSecond))
            : _options.InitialTimestamp;
        var length = RtcpWriter.WriteSenderReport(destination, _options.Ssrc, ntp, timestamp, (uint)_packetsSent, (uint)_payloadBytesSent);
        length += RtcpWriter.WriteSourceDescription(destination[length..], _options.Ssrc, _options.Cname);
        _reportMiddles[_reportNext] = NtpTime.Middle32(ntp);
        _reportTimes[_reportNext] = now;
        _reportNext = (_reportNext + 1) % SenderReportMemory;
        return length;
    }

    private bool OnFeedback(RtcpFeedback feedback, TimeSpan now)
    {
        switch (feedback.Kind)
        {
            case RtcpFeedbackKind.GenericNack when feedback.MediaSsrc == _options.Ssrc:
                _nacks++;
                var interval = _roundTripTime is { } rtt && rtt > MinRetransmitInterval ? rtt : MinRetransmitInterval;
                var lost = feedback.GetLostSequenceNumbers();
                while (lost.MoveNext(out var sequence))
                {
                    if (_history.TryMarkRetransmitted(sequence, now, interval))
                    {
                        Enqueue(_retransmitQueue, ref _retransmitHead, ref _retransmitCount, sequence);
                    }
                }

                return false;

            case RtcpFeedbackKind.PictureLossIndication when feedback.MediaSsrc == _options.Ssrc:
                _plis++;
                return true;

            case RtcpFeedbackKind.FullIntraRequest:
                for (var i = 0; i < feedback.FirEntryCount; i++)
                {
                    var (ssrc, commandSequence) = feedback.GetFirEntry(i);

                    // RFC 5104 §4.3.1.2: a repeated command sequence number is the same request again.
                    if (ssrc == _options.Ssrc && commandSequence != _lastFirSequence)
                    {
                        _lastFirSequence = commandSequence;
                        _firs++;
                        return true;
                    }
                }

                return false;

            case RtcpFeedbackKind.Remb:
                if (feedback.TryGetRemb(out var bitrate, out _))
                {
                    _remb = bitrate;
                }

                return false;

            default:
                return false;
        }
    }

    private void OnReportBlock(RtcpReportBlock block, TimeSpan now)
    {
        if (block.Ssrc != _options.Ssrc || block.LastSenderReport == 0)
        {
            return;
        }

        for (var i = 0; i < SenderReportMemory; i++)
        {
            if (_reportMiddles[i] == block.LastSenderReport && _reportTimes[i] != default)
            {
                // RFC 3550 §6.4.1: RTT = arrival - LSR - DLSR; our own send time stands in for LSR.
                var rtt = now - _reportTimes[i] - NtpTime.FromShortUnits(block.DelaySinceLastSenderReport);
                _roundTripTime = rtt > TimeSpan.Zero ? rtt : TimeSpan.Zero;
                return;
            }
        }
    }

    private ReadOnlySpan<byte> BuildRetransmission(ReadOnlySpan<byte> original)
    {
        if (_options.RtxSsrc is not { } rtxSsrc)
        {
            return original;
        }

        var packet = RtpPacket.Parse(original);
        var writer = new RtpPacketWriter(_rtxBuffer, _options.RtxPayloadType!.Value, _rtxSequence++, packet.Timestamp, rtxSsrc, packet.Marker);
        if (_options.MidExtensionId is { } midId)
        {
            writer.AddExtension(midId, _midBytes);
        }

        var payload = writer.Payload;
        payload[0] = (byte)(packet.SequenceNumber >> 8);
        payload[1] = (byte)packet.SequenceNumber;
        packet.Payload.CopyTo(payload[OriginalSequenceSize..]);
        return _rtxBuffer.AsSpan(0, writer.Complete(packet.Payload.Length + OriginalSequenceSize));
    }

    private void Enqueue(ushort[] queue, ref int head, ref int count, ushort sequence)
    {
        if (count == queue.Length)
        {
            // The history is about to overwrite the oldest queued packet anyway: drop it, counted.
            head = (head + 1) % queue.Length;
            count--;
            _overflows++;
        }

        queue[(head + count) % queue.Length] = sequence;
        count++;
    }

    private static void Dequeue(ref int head, ref int count, int length)
    {
        head = (head + 1) % length;
        count--;
    }
}
