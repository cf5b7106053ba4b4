using System.Buffers.Binary;
using System.Text;

namespace Odyssey.WebRtc.Sctp;

/// <summary>Payload protocol identifiers of WebRTC data channels (RFC 8831 §8, RFC 8832 §8.1).</summary>
public static class DcepPpid
{
    /// <summary>DCEP control message.</summary>
    public const uint Dcep = 50;

    /// <summary>UTF-8 string message.</summary>
    public const uint String = 51;

    /// <summary>Binary message.</summary>
    public const uint Binary = 53;

    /// <summary>Empty string: SCTP cannot carry zero bytes, so one byte is sent and ignored.</summary>
    public const uint StringEmpty = 56;

    /// <summary>Empty binary message, sent the same way.</summary>
    public const uint BinaryEmpty = 57;
}

/// <summary>DATA_CHANNEL_OPEN channel types (RFC 8832 §5.1): the high bit means unordered.</summary>
public enum DcepChannelType : byte
{
    /// <summary>Reliable, ordered.</summary>
    Reliable = 0x00,

    /// <summary>Reliable, unordered.</summary>
    ReliableUnordered = 0x80,

    /// <summary>Partially reliable by retransmission count, ordered.</summary>
    PartialReliableRexmit = 0x01,

    /// <summary>Partially reliable by retransmission count, unordered.</summary>
    PartialReliableRexmitUnordered = 0x81,

    /// <summary>Partially reliable by lifetime in milliseconds, ordered.</summary>
    PartialReliableTimed = 0x02,

    /// <summary>Partially reliable by lifetime in milliseconds, unordered.</summary>
    PartialReliableTimedUnordered = 0x82,
}

/// <summary>A DATA_CHANNEL_OPEN message (RFC 8832 §5.1).</summary>
/// <param name="ChannelType">Ordering and reliability.</param>
/// <param name="Priority">Priority (RFC 8832 §5.1: 128 below normal, 256 normal, 512 high, 1024 extra high).</param>
/// <param name="ReliabilityParameter">Retransmissions or lifetime in ms; ignored for reliable channels.</param>
/// <param name="Label">Channel label.</param>
/// <param name="Protocol">Sub-protocol name, often empty.</param>
public sealed record DcepOpen(DcepChannelType ChannelType, ushort Priority, uint ReliabilityParameter, string Label, string Protocol);

/// <summary>Reads and writes DCEP messages (RFC 8832 §5), the payloads of DATA chunks with PPID 50.</summary>
public static class Dcep
{
    /// <summary>Message type of DATA_CHANNEL_ACK.</summary>
    public const byte AckMessageType = 0x02;

    /// <summary>Message type of DATA_CHANNEL_OPEN.</summary>
    public const byte OpenMessageType = 0x03;

    /// <summary>Bytes of DATA_CHANNEL_OPEN before label and protocol.</summary>
    public const int OpenFixedSize = 12;

    // Label and protocol must be valid UTF-8 (RFC 8832 §5.1); a lenient decoder would hide a broken peer.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True when <paramref name="message"/> is a DATA_CHANNEL_ACK.</summary>
    public static bool IsAck(ReadOnlySpan<byte> message) => message.Length >= 1 && message[0] == AckMessageType;

    /// <summary>Writes a DATA_CHANNEL_ACK; returns its length (1).</summary>
    public static int WriteAck(Span<byte> destination)
    {
        destination[0] = AckMessageType;
        return 1;
    }

    /// <summary>Bytes <see cref="WriteOpen"/> needs for <paramref name="open"/>.</summary>
    public static int GetOpenSize(DcepOpen open)
    {
        ArgumentNullException.ThrowIfNull(open);
        return OpenFixedSize + StrictUtf8.GetByteCount(open.Label) + StrictUtf8.GetByteCount(open.Protocol);
    }

    /// <summary>Writes <paramref name="open"/>; returns its length.</summary>
    public static int WriteOpen(DcepOpen open, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(open);
        var labelLength = StrictUtf8.GetByteCount(open.Label);
        var protocolLength = StrictUtf8.GetByteCount(open.Protocol);
        if (labelLength > ushort.MaxValue || protocolLength > ushort.MaxValue)
        {
            throw new ArgumentException("DCEP label and protocol are limited to 65535 UTF-8 bytes each", nameof(open));
        }

        destination[0] = OpenMessageType;
        destination[1] = (byte)open.ChannelType;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], open.Priority);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], open.ReliabilityParameter);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], (ushort)labelLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], (ushort)protocolLength);
        StrictUtf8.GetBytes(open.Label, destination[OpenFixedSize..]);
        StrictUtf8.GetBytes(open.Protocol, destination[(OpenFixedSize + labelLength)..]);
        return OpenFixedSize + labelLength + protocolLength;
    }

    /// <summary>Reads a DATA_CHANNEL_OPEN; throws <see cref="SctpParseException"/> (<see cref="SctpError.BadMessage"/>) otherwise.</summary>
    public static DcepOpen ReadOpen(ReadOnlySpan<byte> message)
    {
        if (message.Length < OpenFixedSize)
        {
            throw new SctpParseException(SctpError.BadMessage, message.Length, $"DATA_CHANNEL_OPEN of {message.Length} bytes, needs {OpenFixedSize}");
        }

        if (message[0] != OpenMessageType)
        {
            throw new SctpParseException(SctpError.BadMessage, 0, $"DCEP message type {message[0]} is not DATA_CHANNEL_OPEN");
        }

        var channelType = (DcepChannelType)message[1];
        if (!Enum.IsDefined(channelType))
        {
            throw new SctpParseException(SctpError.BadMessage, 1, $"DCEP channel type 0x{message[1]:X2} is unknown");
        }

        int labelLength = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        int protocolLength = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        if (OpenFixedSize + labelLength + protocolLength != message.Length)
        {
            throw new SctpParseException(SctpError.BadMessage, 8, $"DATA_CHANNEL_OPEN label {labelLength} + protocol {protocolLength} bytes disagree with {message.Length - OpenFixedSize} present");
        }

        return new DcepOpen(
            channelType,
            BinaryPrimitives.ReadUInt16BigEndian(message[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(message[4..]),
            Decode(message.Slice(OpenFixedSize, labelLength), OpenFixedSize, "label"),
            Decode(message.Slice(OpenFixedSize + labelLength, protocolLength), OpenFixedSize + labelLength, "protocol"));
    }

    private static string Decode(ReadOnlySpan<byte> bytes, int offset, string field)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new SctpParseException(SctpError.BadMessage, offset, $"DATA_CHANNEL_OPEN {field} is not valid UTF-8", ex);
        }
    }
}
