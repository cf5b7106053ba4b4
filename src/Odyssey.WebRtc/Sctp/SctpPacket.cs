using System.Buffers.Binary;

namespace Odyssey.WebRtc.Sctp;

/// <summary>
/// A parsed, read-only view of one SCTP packet (RFC 9260 §3) over the caller's bytes: common header
/// and chunks, nothing copied or allocated. Parsing checks the CRC32c and that every chunk's length
/// fits; chunk contents are checked when read through a typed view.
/// </summary>
public readonly ref struct SctpPacket
{
    /// <summary>Bytes of the common header: ports, verification tag, checksum.</summary>
    public const int CommonHeaderSize = 12;

    /// <summary>Bytes of a chunk header: type, flags, length.</summary>
    public const int ChunkHeaderSize = 4;

    // RFC 9260 §6.8: the checksum field sits at bytes 8..11 and is zero while the CRC is computed.
    private const int ChecksumOffset = 8;

    private readonly ReadOnlySpan<byte> _packet;

    private SctpPacket(ReadOnlySpan<byte> packet) => _packet = packet;

    /// <summary>The whole packet as parsed.</summary>
    public ReadOnlySpan<byte> Bytes => _packet;

    /// <summary>Sender's port.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_packet);

    /// <summary>Receiver's port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_packet[2..]);

    /// <summary>The receiver's initiate tag (zero in an INIT).</summary>
    public uint VerificationTag => BinaryPrimitives.ReadUInt32BigEndian(_packet[4..]);

    /// <summary>The chunks, in order; enumerating allocates nothing.</summary>
    public SctpChunkEnumerator Chunks => new(_packet);

    /// <summary>Parses <paramref name="data"/>; throws <see cref="SctpParseException"/> when it is not SCTP.</summary>
    public static SctpPacket Parse(ReadOnlySpan<byte> data, bool verifyChecksum = true)
    {
        if (!TryParse(data, out var packet, out var error, out var offset, verifyChecksum))
        {
            throw new SctpParseException(error, offset, $"not a valid SCTP packet ({data.Length} bytes)");
        }

        return packet;
    }

    /// <summary>Parses <paramref name="data"/> without throwing; on failure says what and where.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out SctpPacket packet, out SctpError error, out int errorOffset, bool verifyChecksum = true)
    {
        packet = default;
        errorOffset = 0;
        if (data.Length < CommonHeaderSize + ChunkHeaderSize)
        {
            error = SctpError.Truncated;
            errorOffset = data.Length;
            return false;
        }

        if (verifyChecksum && ReadChecksum(data) != ComputeChecksum(data))
        {
            error = SctpError.BadChecksum;
            errorOffset = ChecksumOffset;
            return false;
        }

        var offset = CommonHeaderSize;
        while (offset < data.Length)
        {
            if (!TryReadChunkBounds(data, offset, out var length, out errorOffset))
            {
                error = errorOffset == data.Length ? SctpError.Truncated : SctpError.BadLength;
                return false;
            }

            offset = Math.Min(data.Length, offset + Pad4(length));
        }

        error = SctpError.None;
        packet = new SctpPacket(data);
        return true;
    }

    /// <summary>The CRC32c of <paramref name="packet"/> with its checksum field taken as zero.</summary>
    public static uint ComputeChecksum(ReadOnlySpan<byte> packet)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(packet.Length, CommonHeaderSize);
        Span<byte> zero = stackalloc byte[4];
        zero.Clear();
        return Crc32c.Append(Crc32c.Append(Crc32c.Append(Crc32c.Seed, packet[..ChecksumOffset]), zero), packet[CommonHeaderSize..]) ^ Crc32c.Seed;
    }

    /// <summary>Computes the CRC32c of <paramref name="packet"/> and stores it in the common header.</summary>
    public static void WriteChecksum(Span<byte> packet)
    {
        var crc = ComputeChecksum(packet);

        // The CRC goes on the wire in the byte order it is computed in (RFC 9260 appendix A): least significant first.
        BinaryPrimitives.WriteUInt32LittleEndian(packet[ChecksumOffset..], crc);
    }

    internal static int Pad4(int length) => (length + 3) & ~3;

    // Checks the chunk header at offset; errorOffset is data.Length when the header itself is cut off.
    internal static bool TryReadChunkBounds(ReadOnlySpan<byte> data, int offset, out int length, out int errorOffset)
    {
        length = 0;
        errorOffset = 0;
        if (offset + ChunkHeaderSize > data.Length)
        {
            errorOffset = data.Length;
            return false;
        }

        length = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
        if (length < ChunkHeaderSize || offset + length > data.Length)
        {
            errorOffset = offset + 2;
            return false;
        }

        return true;
    }

    private static uint ReadChecksum(ReadOnlySpan<byte> data) => BinaryPrimitives.ReadUInt32LittleEndian(data[ChecksumOffset..]);
}

/// <summary>One chunk of a parsed packet: header fields and the value after the 4-byte header, padding excluded.</summary>
public readonly ref struct SctpChunk
{
    internal SctpChunk(byte type, byte flags, ReadOnlySpan<byte> value, int offset)
    {
        Type = type;
        Flags = flags;
        Value = value;
        Offset = offset;
    }

    /// <summary>Chunk type (see <see cref="SctpChunkType"/>).</summary>
    public byte Type { get; }

    /// <summary>Chunk flags; their meaning depends on the type.</summary>
    public byte Flags { get; }

    /// <summary>The chunk value: after the header, before the padding.</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>Byte offset of the chunk header in the packet, for error messages.</summary>
    public int Offset { get; }

    /// <summary>What to do if the type is unknown: its upper two bits (RFC 9260 §3.2).</summary>
    public SctpUnknownAction UnknownAction => (SctpUnknownAction)(Type >> 6);
}

/// <summary>Walks the chunks of a packet already checked by <see cref="SctpPacket.TryParse"/>; allocates nothing.</summary>
public ref struct SctpChunkEnumerator
{
    private readonly ReadOnlySpan<byte> _packet;
    private int _next;

    internal SctpChunkEnumerator(ReadOnlySpan<byte> packet)
    {
        _packet = packet;
        _next = SctpPacket.CommonHeaderSize;
        Current = default;
    }

    /// <summary>The chunk at the enumerator's position.</summary>
    public SctpChunk Current { get; private set; }

    /// <summary>Supports <c>foreach</c>.</summary>
    public readonly SctpChunkEnumerator GetEnumerator() => this;

    /// <summary>Moves to the next chunk; false after the last.</summary>
    public bool MoveNext()
    {
        if (_next >= _packet.Length)
        {
            return false;
        }

        var offset = _next;
        var length = BinaryPrimitives.ReadUInt16BigEndian(_packet[(offset + 2)..]);
        Current = new SctpChunk(_packet[offset], _packet[offset + 1], _packet.Slice(offset + SctpPacket.ChunkHeaderSize, length - SctpPacket.ChunkHeaderSize), offset);
        _next = Math.Min(_packet.Length, offset + SctpPacket.Pad4(length));
        return true;
    }
}
