using System.Buffers.Binary;

namespace Odyssey.WebRtc.Rtp;

/// <summary>
/// A parsed, read-only view of one RTP packet (RFC 3550 §5.1) over the caller's bytes: nothing is
/// copied or allocated, and the view lives only as long as the span it was parsed from.
/// </summary>
public readonly ref struct RtpPacket
{
    /// <summary>Bytes of the fixed header: V/P/X/CC, M/PT, sequence, timestamp, SSRC.</summary>
    public const int FixedHeaderSize = 12;

    /// <summary>The only RTP version in use (RFC 3550 §5.1).</summary>
    public const int Version = 2;

    /// <summary>RFC 8285 §4.2: the "defined by profile" value of the one-byte header form.</summary>
    public const ushort OneByteExtensionProfile = 0xBEDE;

    /// <summary>RFC 8285 §4.3: the two-byte form is 0x100 in the top 12 bits, the low 4 bits are app bits.</summary>
    public const ushort TwoByteExtensionProfile = 0x1000;

    private const ushort TwoByteProfileMask = 0xFFF0;

    // RFC 8285 §4.2: ID 15 in the one-byte form means "stop processing the block".
    private const int OneByteStopId = 15;

    private readonly ReadOnlySpan<byte> _packet;
    private readonly int _extensionOffset;
    private readonly int _extensionLength;

    private RtpPacket(ReadOnlySpan<byte> packet, int extensionOffset, int extensionLength, int payloadOffset, int paddingSize)
    {
        _packet = packet;
        _extensionOffset = extensionOffset;
        _extensionLength = extensionLength;
        HeaderSize = payloadOffset;
        PaddingSize = paddingSize;
    }

    /// <summary>The whole packet as parsed.</summary>
    public ReadOnlySpan<byte> Bytes => _packet;

    /// <summary>P bit: padding octets follow the payload.</summary>
    public bool HasPadding => (_packet[0] & 0x20) != 0;

    /// <summary>X bit: a header extension follows the CSRC list.</summary>
    public bool HasExtension => (_packet[0] & 0x10) != 0;

    /// <summary>Number of CSRC identifiers (0–15).</summary>
    public int CsrcCount => _packet[0] & 0x0F;

    /// <summary>M bit: for video, the last packet of a frame.</summary>
    public bool Marker => (_packet[1] & 0x80) != 0;

    /// <summary>Payload type (7 bits).</summary>
    public byte PayloadType => (byte)(_packet[1] & 0x7F);

    /// <summary>Sequence number (wraps at 65535).</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_packet[2..]);

    /// <summary>Media timestamp in units of the payload's clock (90 kHz for video).</summary>
    public uint Timestamp => BinaryPrimitives.ReadUInt32BigEndian(_packet[4..]);

    /// <summary>Synchronisation source.</summary>
    public uint Ssrc => BinaryPrimitives.ReadUInt32BigEndian(_packet[8..]);

    /// <summary>Bytes before the payload: fixed header, CSRCs and extension block.</summary>
    public int HeaderSize { get; }

    /// <summary>Padding octets at the end, the count octet included.</summary>
    public int PaddingSize { get; }

    /// <summary>The "defined by profile" field of the extension block, 0 without one.</summary>
    public ushort ExtensionProfile => HasExtension ? BinaryPrimitives.ReadUInt16BigEndian(_packet[(_extensionOffset - 4)..]) : (ushort)0;

    /// <summary>The extension block's data (after its 4-byte header), empty without one.</summary>
    public ReadOnlySpan<byte> ExtensionData => _packet.Slice(_extensionOffset, _extensionLength);

    /// <summary>The payload, padding excluded.</summary>
    public ReadOnlySpan<byte> Payload => _packet[HeaderSize..^PaddingSize];

    /// <summary>The CSRC identifier at <paramref name="index"/>.</summary>
    public uint GetCsrc(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, CsrcCount);
        return BinaryPrimitives.ReadUInt32BigEndian(_packet[(FixedHeaderSize + (4 * index))..]);
    }

    /// <summary>
    /// Finds the RFC 8285 header extension element <paramref name="id"/> (one- or two-byte form);
    /// false when absent or when the block uses another profile.
    /// </summary>
    public bool TryGetExtension(int id, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!HasExtension || id <= 0 || id > 255)
        {
            return false;
        }

        var profile = ExtensionProfile;
        var twoByte = (profile & TwoByteProfileMask) == TwoByteExtensionProfile;
        if (profile != OneByteExtensionProfile && !twoByte)
        {
            return false;
        }

        var elements = new ExtensionEnumerator(ExtensionData, twoByte);
        while (elements.MoveNext(out var elementId, out var data, out _))
        {
            if (elementId == id)
            {
                value = data;
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses <paramref name="data"/>; throws <see cref="RtpParseException"/> when it is not RTP.</summary>
    public static RtpPacket Parse(ReadOnlySpan<byte> data)
    {
        if (!TryParse(data, out var packet, out var error, out var offset))
        {
            throw new RtpParseException(error, offset, $"not a valid RTP packet ({data.Length} bytes)");
        }

        return packet;
    }

    /// <summary>Parses <paramref name="data"/> without throwing; on failure says what and where.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out RtpPacket packet, out RtpError error, out int errorOffset)
    {
        packet = default;
        errorOffset = 0;
        if (data.Length < FixedHeaderSize)
        {
            error = RtpError.Truncated;
            errorOffset = data.Length;
            return false;
        }

        if (data[0] >> 6 != Version)
        {
            error = RtpError.BadVersion;
            return false;
        }

        var offset = FixedHeaderSize + (4 * (data[0] & 0x0F));
        if (offset > data.Length)
        {
            error = RtpError.Truncated;
            errorOffset = FixedHeaderSize;
            return false;
        }

        var extensionOffset = offset;
        var extensionLength = 0;
        if ((data[0] & 0x10) != 0)
        {
            if (offset + 4 > data.Length)
            {
                error = RtpError.BadExtension;
                errorOffset = offset;
                return false;
            }

            var profile = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            extensionLength = 4 * BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            extensionOffset = offset + 4;
            if (extensionOffset + extensionLength > data.Length)
            {
                error = RtpError.BadExtension;
                errorOffset = offset + 2;
                return false;
            }

            // Elements are checked now so that TryGetExtension never meets a broken block later.
            var twoByte = (profile & TwoByteProfileMask) == TwoByteExtensionProfile;
            if (profile == OneByteExtensionProfile || twoByte)
            {
                var elements = new ExtensionEnumerator(data.Slice(extensionOffset, extensionLength), twoByte);
                while (elements.MoveNext(out _, out _, out _))
                {
                }

                if (elements.Failed)
                {
                    error = RtpError.BadExtension;
                    errorOffset = extensionOffset + elements.Position;
                    return false;
                }
            }

            offset = extensionOffset + extensionLength;
        }

        var paddingSize = 0;
        if ((data[0] & 0x20) != 0)
        {
            // RFC 3550 §5.1: the last octet counts the padding, itself included, so 0 is invalid.
            paddingSize = data[^1];
            if (paddingSize == 0 || offset + paddingSize > data.Length)
            {
                error = RtpError.BadPadding;
                errorOffset = data.Length - 1;
                return false;
            }
        }

        packet = new RtpPacket(data, extensionOffset, extensionLength, offset, paddingSize);
        error = RtpError.None;
        return true;
    }

    /// <summary>Walks the elements of an RFC 8285 extension block.</summary>
    internal ref struct ExtensionEnumerator
    {
        private readonly ReadOnlySpan<byte> _block;
        private readonly bool _twoByte;

        public ExtensionEnumerator(ReadOnlySpan<byte> block, bool twoByte)
        {
            _block = block;
            _twoByte = twoByte;
        }

        /// <summary>Offset in the block of the element being read (where a failure was found).</summary>
        public int Position { get; private set; }

        /// <summary>True when the block ended inside an element.</summary>
        public bool Failed { get; private set; }

        public bool MoveNext(out int id, out ReadOnlySpan<byte> data, out int elementOffset)
        {
            data = default;
            while (Position < _block.Length)
            {
                elementOffset = Position;
                var first = _block[Position];
                if (first == 0)
                {
                    // A padding byte between elements (both forms).
                    Position++;
                    continue;
                }

                int length;
                int headerLength;
                if (_twoByte)
                {
                    id = first;
                    if (Position + 1 >= _block.Length)
                    {
                        Failed = true;
                        break;
                    }

                    length = _block[Position + 1];
                    headerLength = 2;
                }
                else
                {
                    id = first >> 4;
                    if (id == OneByteStopId)
                    {
                        break;
                    }

                    length = (first & 0x0F) + 1;
                    headerLength = 1;
                }

                if (Position + headerLength + length > _block.Length)
                {
                    Failed = true;
                    break;
                }

                data = _block.Slice(Position + headerLength, length);
                Position += headerLength + length;
                return true;
            }

            id = 0;
            elementOffset = Position;
            return false;
        }
    }
}
