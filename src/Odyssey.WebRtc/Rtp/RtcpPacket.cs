using System.Buffers.Binary;

namespace Odyssey.WebRtc.Rtp;

/// <summary>RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1).</summary>
public static class RtcpPacketType
{
    /// <summary>Sender report.</summary>
    public const byte SenderReport = 200;

    /// <summary>Receiver report.</summary>
    public const byte ReceiverReport = 201;

    /// <summary>Source description.</summary>
    public const byte SourceDescription = 202;

    /// <summary>Goodbye.</summary>
    public const byte Bye = 203;

    /// <summary>Application-defined.</summary>
    public const byte App = 204;

    /// <summary>Transport-layer feedback (generic NACK, transport-cc).</summary>
    public const byte TransportFeedback = 205;

    /// <summary>Payload-specific feedback (PLI, FIR, REMB).</summary>
    public const byte PayloadFeedback = 206;
}

/// <summary>Feedback message formats (the FMT field) of RTPFB and PSFB packets.</summary>
public static class RtcpFeedbackFormat
{
    /// <summary>RTPFB: generic NACK (RFC 4585 §6.2.1).</summary>
    public const int GenericNack = 1;

    /// <summary>RTPFB: transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions).</summary>
    public const int TransportCc = 15;

    /// <summary>PSFB: picture loss indication (RFC 4585 §6.3.1).</summary>
    public const int PictureLossIndication = 1;

    /// <summary>PSFB: full intra request (RFC 5104 §4.3.1).</summary>
    public const int FullIntraRequest = 4;

    /// <summary>PSFB: application layer feedback; REMB when its FCI starts with "REMB".</summary>
    public const int ApplicationLayer = 15;
}

/// <summary>One RTCP packet of a compound packet: its common header and body (RFC 3550 §6.4).</summary>
public readonly ref struct RtcpPacket
{
    /// <summary>Bytes of the common header: V/P/count, packet type, length.</summary>
    public const int HeaderSize = 4;

    internal RtcpPacket(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> body, int offset)
    {
        Bytes = bytes;
        Body = body;
        Offset = offset;
    }

    /// <summary>The whole packet, padding included.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>What follows the 4-byte common header, padding excluded.</summary>
    public ReadOnlySpan<byte> Body { get; }

    /// <summary>Offset of this packet within the compound packet.</summary>
    public int Offset { get; }

    /// <summary>The 5-bit count field: report count, source count, or feedback format.</summary>
    public int Count => Bytes[0] & 0x1F;

    /// <summary>The packet type (see <see cref="RtcpPacketType"/>).</summary>
    public byte PacketType => Bytes[1];
}

/// <summary>
/// Reads the packets of a compound RTCP packet one by one, checking each common header
/// (RFC 3550 §6.4.1 / A.2). Allocates nothing.
/// </summary>
public ref struct RtcpCompoundReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _offset;

    /// <summary>Reads from <paramref name="compound"/>.</summary>
    public RtcpCompoundReader(ReadOnlySpan<byte> compound)
    {
        _data = compound;
    }

    /// <summary>Why the last <see cref="TryReadNext"/> returned false; <see cref="RtpError.None"/> at the normal end.</summary>
    public RtpError Error { get; private set; }

    /// <summary>Byte offset of the error in the compound packet.</summary>
    public int ErrorOffset { get; private set; }

    /// <summary>Reads the next packet; false at the end or on a malformed header (see <see cref="Error"/>).</summary>
    public bool TryReadNext(out RtcpPacket packet)
    {
        packet = default;
        if (_offset >= _data.Length || Error != RtpError.None)
        {
            return false;
        }

        var remaining = _data[_offset..];
        if (remaining.Length < RtcpPacket.HeaderSize)
        {
            return Fail(RtpError.Truncated, _offset);
        }

        if (remaining[0] >> 6 != RtpPacket.Version)
        {
            return Fail(RtpError.BadVersion, _offset);
        }

        var length = 4 * (BinaryPrimitives.ReadUInt16BigEndian(remaining[2..]) + 1);
        if (length > remaining.Length)
        {
            return Fail(RtpError.BadLength, _offset + 2);
        }

        var bytes = remaining[..length];
        var bodyLength = length - RtcpPacket.HeaderSize;
        if ((bytes[0] & 0x20) != 0)
        {
            int padding = bytes[^1];
            if (padding == 0 || padding > bodyLength)
            {
                return Fail(RtpError.BadPadding, _offset + length - 1);
            }

            bodyLength -= padding;
        }

        packet = new RtcpPacket(bytes, bytes.Slice(RtcpPacket.HeaderSize, bodyLength), _offset);
        _offset += length;
        return true;
    }

    /// <summary>Checks every header of <paramref name="compound"/>; throws <see cref="RtpParseException"/> on the first bad one.</summary>
    public static int Validate(ReadOnlySpan<byte> compound)
    {
        var reader = new RtcpCompoundReader(compound);
        var count = 0;
        while (reader.TryReadNext(out _))
        {
            count++;
        }

        if (reader.Error != RtpError.None)
        {
            throw new RtpParseException(reader.Error, reader.ErrorOffset, $"not a valid compound RTCP packet ({compound.Length} bytes)");
        }

        if (count == 0)
        {
            throw new RtpParseException(RtpError.Truncated, 0, "empty RTCP packet");
        }

        return count;
    }

    private bool Fail(RtpError error, int offset)
    {
        Error = error;
        ErrorOffset = offset;
        return false;
    }
}
