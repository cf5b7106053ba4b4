using System.Buffers.Binary;
using System.Text;

namespace Odyssey.WebRtc.Rtp;

/// <summary>
/// Writes RTCP packets into a caller's buffer; each method returns the bytes written, so packets
/// can be appended one after another into a compound packet (RFC 3550 §6.1). Allocates nothing.
/// </summary>
public static class RtcpWriter
{
    /// <summary>Most report blocks one SR/RR carries (the 5-bit count).</summary>
    public const int MaxReportBlocks = 31;

    private const int MaxFieldCount = 31;
    private const int MaxSdesText = 255;

    /// <summary>Writes a sender report (RFC 3550 §6.4.1).</summary>
    public static int WriteSenderReport(Span<byte> destination, uint ssrc, ulong ntpTimestamp, uint rtpTimestamp, uint packetCount, uint octetCount, ReadOnlySpan<RtcpReportBlock> blocks = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blocks.Length, MaxReportBlocks);
        var length = RtcpPacket.HeaderSize + RtcpSenderReport.SenderInfoSize + (blocks.Length * RtcpReportBlock.Size);
        var packet = Header(destination, blocks.Length, RtcpPacketType.SenderReport, length);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], ssrc);
        BinaryPrimitives.WriteUInt64BigEndian(packet[8..], ntpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(packet[16..], rtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(packet[20..], packetCount);
        BinaryPrimitives.WriteUInt32BigEndian(packet[24..], octetCount);
        WriteBlocks(packet[28..], blocks);
        return length;
    }

    /// <summary>Writes a receiver report (RFC 3550 §6.4.2); with no blocks it is the empty RR that starts a compound packet.</summary>
    public static int WriteReceiverReport(Span<byte> destination, uint ssrc, ReadOnlySpan<RtcpReportBlock> blocks = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blocks.Length, MaxReportBlocks);
        var length = RtcpPacket.HeaderSize + 4 + (blocks.Length * RtcpReportBlock.Size);
        var packet = Header(destination, blocks.Length, RtcpPacketType.ReceiverReport, length);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], ssrc);
        WriteBlocks(packet[8..], blocks);
        return length;
    }

    /// <summary>Writes an SDES packet with one chunk holding the CNAME (RFC 3550 §6.5.1).</summary>
    public static int WriteSourceDescription(Span<byte> destination, uint ssrc, string cname)
    {
        ArgumentNullException.ThrowIfNull(cname);
        var textLength = Encoding.UTF8.GetByteCount(cname);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(textLength, MaxSdesText, nameof(cname));

        // SSRC, CNAME item (type, length, text), then at least one null octet, padded to 32 bits.
        var chunk = 4 + 2 + textLength + 1;
        chunk = (chunk + 3) & ~3;
        var length = RtcpPacket.HeaderSize + chunk;
        var packet = Header(destination, 1, RtcpPacketType.SourceDescription, length);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], ssrc);
        packet[8] = RtcpSourceDescription.CnameItem;
        packet[9] = (byte)textLength;
        Encoding.UTF8.GetBytes(cname, packet[10..]);
        packet[(10 + textLength)..length].Clear();
        return length;
    }

    /// <summary>Writes a BYE for <paramref name="sources"/> with an optional reason (RFC 3550 §6.6).</summary>
    public static int WriteBye(Span<byte> destination, ReadOnlySpan<uint> sources, string? reason = null)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sources.Length, MaxFieldCount);
        var reasonLength = reason is null ? 0 : Encoding.UTF8.GetByteCount(reason);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(reasonLength, MaxSdesText, nameof(reason));
        var body = 4 * sources.Length;
        if (reason is not null)
        {
            body += 1 + reasonLength;
        }

        var length = RtcpPacket.HeaderSize + ((body + 3) & ~3);
        var packet = Header(destination, sources.Length, RtcpPacketType.Bye, length);
        for (var i = 0; i < sources.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(packet[(4 + (4 * i))..], sources[i]);
        }

        if (reason is not null)
        {
            var at = 4 + (4 * sources.Length);
            packet[at] = (byte)reasonLength;
            Encoding.UTF8.GetBytes(reason, packet[(at + 1)..]);
            packet[(at + 1 + reasonLength)..length].Clear();
        }

        return length;
    }

    /// <summary>Bytes a generic NACK for <paramref name="lost"/> takes; lets callers size their buffer.</summary>
    public static int MeasureNack(ReadOnlySpan<ushort> lost) => RtcpPacket.HeaderSize + RtcpFeedback.SsrcsSize + (CountNackItems(lost) * RtcpFeedback.NackItemSize);

    /// <summary>
    /// Writes a generic NACK (RFC 4585 §6.2.1) for <paramref name="lost"/>, in the order given
    /// (oldest first): each item covers its PID and the 16 sequence numbers after it.
    /// </summary>
    public static int WriteNack(Span<byte> destination, uint senderSsrc, uint mediaSsrc, ReadOnlySpan<ushort> lost)
    {
        if (lost.IsEmpty)
        {
            throw new ArgumentException("a generic NACK needs at least one sequence number", nameof(lost));
        }

        var length = MeasureNack(lost);
        var packet = Header(destination, RtcpFeedbackFormat.GenericNack, RtcpPacketType.TransportFeedback, length);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], mediaSsrc);
        var at = 12;
        var i = 0;
        while (i < lost.Length)
        {
            var pid = lost[i++];
            ushort blp = 0;
            while (i < lost.Length)
            {
                var distance = (ushort)(lost[i] - pid);
                if (distance is < 1 or > 16)
                {
                    break;
                }

                blp |= (ushort)(1 << (distance - 1));
                i++;
            }

            BinaryPrimitives.WriteUInt16BigEndian(packet[at..], pid);
            BinaryPrimitives.WriteUInt16BigEndian(packet[(at + 2)..], blp);
            at += RtcpFeedback.NackItemSize;
        }

        return length;
    }

    /// <summary>Writes a picture loss indication (RFC 4585 §6.3.1).</summary>
    public static int WritePictureLossIndication(Span<byte> destination, uint senderSsrc, uint mediaSsrc)
    {
        const int length = RtcpPacket.HeaderSize + RtcpFeedback.SsrcsSize;
        var packet = Header(destination, RtcpFeedbackFormat.PictureLossIndication, RtcpPacketType.PayloadFeedback, length);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], mediaSsrc);
        return length;
    }

    /// <summary>Writes a full intra request for one source (RFC 5104 §4.3.1; the media SSRC field is 0).</summary>
    public static int WriteFullIntraRequest(Span<byte> destination, uint senderSsrc, uint mediaSsrc, byte commandSequence)
    {
        const int length = RtcpPacket.HeaderSize + RtcpFeedback.SsrcsSize + RtcpFeedback.FirEntrySize;
        var packet = Header(destination, RtcpFeedbackFormat.FullIntraRequest, RtcpPacketType.PayloadFeedback, length);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(packet[12..], mediaSsrc);
        packet[16] = commandSequence;
        packet[17..20].Clear();
        return length;
    }

    /// <summary>Writes a REMB (draft-alvestrand-rmcat-remb §2.2) for <paramref name="sources"/>.</summary>
    public static int WriteRemb(Span<byte> destination, uint senderSsrc, ulong bitsPerSecond, ReadOnlySpan<uint> sources)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sources.Length, 255);
        var exponent = 0;
        while (bitsPerSecond >> exponent > 0x3FFFF)
        {
            exponent++;
        }

        var mantissa = (uint)(bitsPerSecond >> exponent);
        var length = RtcpPacket.HeaderSize + RtcpFeedback.SsrcsSize + 8 + (4 * sources.Length);
        var packet = Header(destination, RtcpFeedbackFormat.ApplicationLayer, RtcpPacketType.PayloadFeedback, length);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], 0);
        "REMB"u8.CopyTo(packet[12..]);
        packet[16] = (byte)sources.Length;
        packet[17] = (byte)((exponent << 2) | (int)(mantissa >> 16));
        packet[18] = (byte)(mantissa >> 8);
        packet[19] = (byte)mantissa;
        for (var i = 0; i < sources.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(packet[(20 + (4 * i))..], sources[i]);
        }

        return length;
    }

    private static int CountNackItems(ReadOnlySpan<ushort> lost)
    {
        var items = 0;
        var i = 0;
        while (i < lost.Length)
        {
            var pid = lost[i++];
            items++;
            while (i < lost.Length && (ushort)(lost[i] - pid) is >= 1 and <= 16)
            {
                i++;
            }
        }

        return items;
    }

    private static Span<byte> Header(Span<byte> destination, int count, byte packetType, int length)
    {
        if (destination.Length < length)
        {
            throw new ArgumentException($"RTCP packet type {packetType} needs {length} bytes; the buffer has {destination.Length}", nameof(destination));
        }

        var packet = destination[..length];
        packet[0] = (byte)((RtpPacket.Version << 6) | count);
        packet[1] = packetType;

        // RFC 3550 §6.4.1: the length field counts 32-bit words minus one.
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)((length / 4) - 1));
        return packet;
    }

    private static void WriteBlocks(Span<byte> destination, ReadOnlySpan<RtcpReportBlock> blocks)
    {
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i].Write(destination[(i * RtcpReportBlock.Size)..]);
        }
    }
}
