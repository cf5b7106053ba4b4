using System.Buffers.Binary;

namespace Odyssey.WebRtc.Rtp;

/// <summary>One reception report block of an SR or RR (RFC 3550 §6.4.1).</summary>
/// <param name="Ssrc">The source this block reports on.</param>
/// <param name="FractionLost">Packets lost since the last report, as a fraction of 256.</param>
/// <param name="CumulativeLost">Packets lost since the start (24-bit signed: duplicates can make it negative).</param>
/// <param name="ExtendedHighestSequence">Cycles (high 16 bits) and highest sequence number received.</param>
/// <param name="Jitter">Interarrival jitter in timestamp units.</param>
/// <param name="LastSenderReport">Middle 32 bits of the NTP time of the last SR received, 0 if none.</param>
/// <param name="DelaySinceLastSenderReport">Delay since that SR, in units of 1/65536 s.</param>
public readonly record struct RtcpReportBlock(
    uint Ssrc,
    byte FractionLost,
    int CumulativeLost,
    uint ExtendedHighestSequence,
    uint Jitter,
    uint LastSenderReport,
    uint DelaySinceLastSenderReport)
{
    /// <summary>Bytes of one report block.</summary>
    public const int Size = 24;

    /// <summary>Largest and smallest values of the 24-bit signed cumulative-lost field.</summary>
    public const int MaxCumulativeLost = 0x7FFFFF;

    /// <summary>Reads a block from <paramref name="data"/> (at least <see cref="Size"/> bytes).</summary>
    public static RtcpReportBlock Read(ReadOnlySpan<byte> data)
    {
        var lost = (data[5] << 16) | (data[6] << 8) | data[7];
        if ((lost & 0x800000) != 0)
        {
            lost |= unchecked((int)0xFF000000);
        }

        return new RtcpReportBlock(
            BinaryPrimitives.ReadUInt32BigEndian(data),
            data[4],
            lost,
            BinaryPrimitives.ReadUInt32BigEndian(data[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(data[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(data[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(data[20..]));
    }

    /// <summary>Writes the block into <paramref name="destination"/>; cumulative lost is clamped to 24 bits.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Ssrc);
        destination[4] = FractionLost;
        var lost = Math.Clamp(CumulativeLost, -MaxCumulativeLost - 1, MaxCumulativeLost);
        destination[5] = (byte)(lost >> 16);
        destination[6] = (byte)(lost >> 8);
        destination[7] = (byte)lost;
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], ExtendedHighestSequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], Jitter);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], LastSenderReport);
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], DelaySinceLastSenderReport);
    }
}

/// <summary>A sender report (RFC 3550 §6.4.1) read from an <see cref="RtcpPacket"/>.</summary>
public readonly ref struct RtcpSenderReport
{
    /// <summary>Bytes of the sender's SSRC and sender info before the report blocks.</summary>
    public const int SenderInfoSize = 24;

    private readonly ReadOnlySpan<byte> _body;

    private RtcpSenderReport(ReadOnlySpan<byte> body, int count)
    {
        _body = body;
        ReportCount = count;
    }

    /// <summary>SSRC of the sender.</summary>
    public uint SenderSsrc => BinaryPrimitives.ReadUInt32BigEndian(_body);

    /// <summary>64-bit NTP timestamp of the report's wallclock time.</summary>
    public ulong NtpTimestamp => BinaryPrimitives.ReadUInt64BigEndian(_body[4..]);

    /// <summary>The same instant in the media's RTP clock.</summary>
    public uint RtpTimestamp => BinaryPrimitives.ReadUInt32BigEndian(_body[12..]);

    /// <summary>Packets sent since the start.</summary>
    public uint PacketCount => BinaryPrimitives.ReadUInt32BigEndian(_body[16..]);

    /// <summary>Payload octets sent since the start.</summary>
    public uint OctetCount => BinaryPrimitives.ReadUInt32BigEndian(_body[20..]);

    /// <summary>Number of report blocks.</summary>
    public int ReportCount { get; }

    /// <summary>The report block at <paramref name="index"/>.</summary>
    public RtcpReportBlock GetReportBlock(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ReportCount);
        return RtcpReportBlock.Read(_body[(SenderInfoSize + (index * RtcpReportBlock.Size))..]);
    }

    /// <summary>Reads <paramref name="packet"/> as an SR; false when it is not one or is too short.</summary>
    public static bool TryRead(RtcpPacket packet, out RtcpSenderReport report, out RtpError error)
    {
        report = default;
        if (packet.PacketType != RtcpPacketType.SenderReport)
        {
            error = RtpError.BadPacketType;
            return false;
        }

        if (packet.Body.Length < SenderInfoSize + (packet.Count * RtcpReportBlock.Size))
        {
            error = RtpError.Truncated;
            return false;
        }

        report = new RtcpSenderReport(packet.Body, packet.Count);
        error = RtpError.None;
        return true;
    }
}

/// <summary>A receiver report (RFC 3550 §6.4.2) read from an <see cref="RtcpPacket"/>.</summary>
public readonly ref struct RtcpReceiverReport
{
    private const int SsrcSize = 4;

    private readonly ReadOnlySpan<byte> _body;

    private RtcpReceiverReport(ReadOnlySpan<byte> body, int count)
    {
        _body = body;
        ReportCount = count;
    }

    /// <summary>SSRC of the receiver sending the report.</summary>
    public uint SenderSsrc => BinaryPrimitives.ReadUInt32BigEndian(_body);

    /// <summary>Number of report blocks.</summary>
    public int ReportCount { get; }

    /// <summary>The report block at <paramref name="index"/>.</summary>
    public RtcpReportBlock GetReportBlock(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ReportCount);
        return RtcpReportBlock.Read(_body[(SsrcSize + (index * RtcpReportBlock.Size))..]);
    }

    /// <summary>Reads <paramref name="packet"/> as an RR; false when it is not one or is too short.</summary>
    public static bool TryRead(RtcpPacket packet, out RtcpReceiverReport report, out RtpError error)
    {
        report = default;
        if (packet.PacketType != RtcpPacketType.ReceiverReport)
        {
            error = RtpError.BadPacketType;
            return false;
        }

        if (packet.Body.Length < SsrcSize + (packet.Count * RtcpReportBlock.Size))
        {
            error = RtpError.Truncated;
            return false;
        }

        report = new RtcpReceiverReport(packet.Body, packet.Count);
        error = RtpError.None;
        return true;
    }
}
