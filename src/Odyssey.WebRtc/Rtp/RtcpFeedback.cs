using System.Buffers.Binary;

namespace Odyssey.WebRtc.Rtp;

/// <summary>What a feedback packet asks for.</summary>
public enum RtcpFeedbackKind
{
    /// <summary>A feedback message this stack does not act on; skipped.</summary>
    Other,

    /// <summary>Generic NACK: retransmit these packets (RFC 4585 §6.2.1).</summary>
    GenericNack,

    /// <summary>Transport-wide congestion control feedback: parsed and skipped.</summary>
    TransportCc,

    /// <summary>Picture loss indication: send a keyframe (RFC 4585 §6.3.1).</summary>
    PictureLossIndication,

    /// <summary>Full intra request: send a keyframe (RFC 5104 §4.3.1).</summary>
    FullIntraRequest,

    /// <summary>Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb).</summary>
    Remb,
}

/// <summary>An RTPFB or PSFB feedback packet (RFC 4585 §6.1): sender, media source and FCI.</summary>
public readonly ref struct RtcpFeedback
{
    /// <summary>Bytes of the sender and media SSRCs before the FCI.</summary>
    public const int SsrcsSize = 8;

    /// <summary>Bytes of one generic NACK item (PID + BLP).</summary>
    public const int NackItemSize = 4;

    /// <summary>Bytes of one FIR entry (SSRC, sequence number, reserved).</summary>
    public const int FirEntrySize = 8;

    // The unique identifier that marks an application-layer PSFB as REMB: ASCII "REMB".
    private const uint RembIdentifier = 0x52454D42;
    private const int RembHeaderSize = 8;

    private RtcpFeedback(ReadOnlySpan<byte> body, RtcpFeedbackKind kind, int format, byte packetType)
    {
        SenderSsrc = BinaryPrimitives.ReadUInt32BigEndian(body);
        MediaSsrc = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        Fci = body[SsrcsSize..];
        Kind = kind;
        Format = format;
        PacketType = packetType;
    }

    /// <summary>What the message asks for.</summary>
    public RtcpFeedbackKind Kind { get; }

    /// <summary>The FMT field.</summary>
    public int Format { get; }

    /// <summary>RTPFB (205) or PSFB (206).</summary>
    public byte PacketType { get; }

    /// <summary>SSRC of the packet's sender.</summary>
    public uint SenderSsrc { get; }

    /// <summary>SSRC of the media source the feedback is about (0 for REMB and FIR).</summary>
    public uint MediaSsrc { get; }

    /// <summary>Feedback control information.</summary>
    public ReadOnlySpan<byte> Fci { get; }

    /// <summary>Number of PID/BLP items of a generic NACK.</summary>
    public int NackItemCount => Kind == RtcpFeedbackKind.GenericNack ? Fci.Length / NackItemSize : 0;

    /// <summary>Every sequence number a generic NACK reports lost, in item order.</summary>
    public NackEnumerator GetLostSequenceNumbers() => new(Kind == RtcpFeedbackKind.GenericNack ? Fci : default);

    /// <summary>Number of FIR entries.</summary>
    public int FirEntryCount => Kind == RtcpFeedbackKind.FullIntraRequest ? Fci.Length / FirEntrySize : 0;

    /// <summary>The FIR entry at <paramref name="index"/>: the source asked for a keyframe, and the command's sequence number.</summary>
    public (uint Ssrc, byte SequenceNumber) GetFirEntry(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, FirEntryCount);
        var entry = Fci[(index * FirEntrySize)..];
        return (BinaryPrimitives.ReadUInt32BigEndian(entry), entry[4]);
    }

    /// <summary>The REMB bitrate in bits/s and the number of sources it covers.</summary>
    public bool TryGetRemb(out ulong bitsPerSecond, out int ssrcCount)
    {
        bitsPerSecond = 0;
        ssrcCount = 0;
        if (Kind != RtcpFeedbackKind.Remb)
        {
            return false;
        }

        ssrcCount = Fci[4];
        var exponent = Fci[5] >> 2;
        var mantissa = ((Fci[5] & 0x03) << 16) | (Fci[6] << 8) | Fci[7];
        bitsPerSecond = exponent > 46 ? ulong.MaxValue : (ulong)mantissa << exponent;
        return true;
    }

    /// <summary>Reads <paramref name="packet"/> as feedback and classifies it.</summary>
    public static bool TryRead(RtcpPacket packet, out RtcpFeedback feedback, out RtpError error)
    {
        feedback = default;
        var type = packet.PacketType;
        if (type is not (RtcpPacketType.TransportFeedback or RtcpPacketType.PayloadFeedback))
        {
            error = RtpError.BadPacketType;
            return false;
        }

        var body = packet.Body;
        if (body.Length < SsrcsSize)
        {
            error = RtpError.Truncated;
            return false;
        }

        var format = packet.Count;
        var fci = body[SsrcsSize..];
        var kind = RtcpFeedbackKind.Other;
        error = RtpError.None;
        if (type == RtcpPacketType.TransportFeedback)
        {
            if (format == RtcpFeedbackFormat.GenericNack)
            {
                kind = RtcpFeedbackKind.GenericNack;
                error = fci.Length == 0 || fci.Length % NackItemSize != 0 ? RtpError.BadLength : RtpError.None;
            }
            else if (format == RtcpFeedbackFormat.TransportCc)
            {
                kind = RtcpFeedbackKind.TransportCc;
            }
        }
        else if (format == RtcpFeedbackFormat.PictureLossIndication)
        {
            kind = RtcpFeedbackKind.PictureLossIndication;
        }
        else if (format == RtcpFeedbackFormat.FullIntraRequest)
        {
            kind = RtcpFeedbackKind.FullIntraRequest;
            error = fci.Length == 0 || fci.Length % FirEntrySize != 0 ? RtpError.BadLength : RtpError.None;
        }
        else if (format == RtcpFeedbackFormat.ApplicationLayer && fci.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(fci) == RembIdentifier)
        {
            kind = RtcpFeedbackKind.Remb;
            error = fci.Length < RembHeaderSize || fci.Length < RembHeaderSize + (4 * fci[4]) ? RtpError.BadLength : RtpError.None;
        }

        if (error != RtpError.None)
        {
            return false;
        }

        feedback = new RtcpFeedback(body, kind, format, type);
        return true;
    }

    /// <summary>Expands generic NACK items (PID + bitmask of the 16 following) into sequence numbers.</summary>
    public ref struct NackEnumerator
    {
        private readonly ReadOnlySpan<byte> _fci;
        private int _item;
        private int _bit = -1;

        internal NackEnumerator(ReadOnlySpan<byte> fci)
        {
            _fci = fci;
        }

        /// <summary>The next lost sequence number.</summary>
        public bool MoveNext(out ushort sequenceNumber)
        {
            while (_item + NackItemSize <= _fci.Length)
            {
                var pid = BinaryPrimitives.ReadUInt16BigEndian(_fci[_item..]);
                var blp = BinaryPrimitives.ReadUInt16BigEndian(_fci[(_item + 2)..]);
                if (_bit < 0)
                {
                    _bit = 0;
                    sequenceNumber = pid;
                    return true;
                }

                // RFC 4585 §6.2.1: bit i of BLP (LSB = 0) reports PID + i + 1 lost.
                while (_bit < 16)
                {
                    var bit = _bit++;
                    if ((blp & (1 << bit)) != 0)
                    {
                        sequenceNumber = (ushort)(pid + bit + 1);
                        return true;
                    }
                }

                _item += NackItemSize;
                _bit = -1;
            }

            sequenceNumber = 0;
            return false;
        }
    }
}
