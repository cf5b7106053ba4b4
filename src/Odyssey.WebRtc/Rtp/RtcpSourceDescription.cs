using System.Buffers.Binary;

namespace Odyssey.WebRtc.Rtp;

/// <summary>An SDES packet (RFC 3550 §6.5): chunks of items per source. Validated when read.</summary>
public readonly ref struct RtcpSourceDescription
{
    /// <summary>SDES item type of the canonical name (RFC 3550 §6.5.1).</summary>
    public const byte CnameItem = 1;

    private readonly ReadOnlySpan<byte> _body;
    private readonly int _chunks;

    private RtcpSourceDescription(ReadOnlySpan<byte> body, int chunks)
    {
        _body = body;
        _chunks = chunks;
    }

    /// <summary>Number of chunks (sources described).</summary>
    public int ChunkCount => _chunks;

    /// <summary>Walks every item of every chunk.</summary>
    public ItemEnumerator GetItems() => new(_body, _chunks);

    /// <summary>The first CNAME in the packet, with its source.</summary>
    public bool TryGetCname(out uint ssrc, out ReadOnlySpan<byte> cname)
    {
        var items = GetItems();
        while (items.MoveNext(out ssrc, out var type, out cname))
        {
            if (type == CnameItem)
            {
                return true;
            }
        }

        ssrc = 0;
        cname = default;
        return false;
    }

    /// <summary>Reads and checks <paramref name="packet"/> as SDES.</summary>
    public static bool TryRead(RtcpPacket packet, out RtcpSourceDescription description, out RtpError error)
    {
        description = default;
        if (packet.PacketType != RtcpPacketType.SourceDescription)
        {
            error = RtpError.BadPacketType;
            return false;
        }

        var items = new ItemEnumerator(packet.Body, packet.Count);
        while (items.MoveNext(out _, out _, out _))
        {
        }

        if (items.Failed)
        {
            error = RtpError.BadLength;
            return false;
        }

        description = new RtcpSourceDescription(packet.Body, packet.Count);
        error = RtpError.None;
        return true;
    }

    /// <summary>Walks SDES items; stops (with <see cref="Failed"/>) at the first structural error.</summary>
    public ref struct ItemEnumerator
    {
        private readonly ReadOnlySpan<byte> _body;
        private int _chunksLeft;
        private int _position;
        private int _chunkStart;
        private uint _ssrc;
        private bool _inChunk;

        internal ItemEnumerator(ReadOnlySpan<byte> body, int chunks)
        {
            _body = body;
            _chunksLeft = chunks;
        }

        /// <summary>True when the packet ended inside a chunk or an item.</summary>
        public bool Failed { get; private set; }

        /// <summary>Moves to the next item: its chunk's source, type and text.</summary>
        public bool MoveNext(out uint ssrc, out byte itemType, out ReadOnlySpan<byte> value)
        {
            ssrc = 0;
            itemType = 0;
            value = default;
            while (!Failed)
            {
                if (!_inChunk)
                {
                    if (_chunksLeft == 0)
                    {
                        return false;
                    }

                    if (_position + 4 > _body.Length)
                    {
                        Failed = true;
                        return false;
                    }

                    _chunkStart = _position;
                    _ssrc = BinaryPrimitives.ReadUInt32BigEndian(_body[_position..]);
                    _position += 4;
                    _inChunk = true;
                    _chunksLeft--;
                }

                if (_position >= _body.Length)
                {
                    Failed = true;
                    return false;
                }

                var type = _body[_position];
                if (type == 0)
                {
                    // RFC 3550 §6.5: a null item ends the chunk, which is then padded to 32 bits.
                    _position++;
                    while ((_position - _chunkStart) % 4 != 0)
                    {
                        _position++;
                    }

                    if (_position > _body.Length)
                    {
                        Failed = true;
                        return false;
                    }

                    _inChunk = false;
                    continue;
                }

                if (_position + 2 > _body.Length || _position + 2 + _body[_position + 1] > _body.Length)
                {
                    Failed = true;
                    return false;
                }

                int length = _body[_position + 1];
                ssrc = _ssrc;
                itemType = type;
                value = _body.Slice(_position + 2, length);
                _position += 2 + length;
                return true;
            }

            return false;
        }
    }
}

/// <summary>A BYE packet (RFC 3550 §6.6): the sources leaving and an optional reason.</summary>
public readonly ref struct RtcpBye
{
    private readonly ReadOnlySpan<byte> _body;

    private RtcpBye(ReadOnlySpan<byte> body, int count, ReadOnlySpan<byte> reason)
    {
        _body = body;
        SourceCount = count;
        Reason = reason;
    }

    /// <summary>Number of SSRC/CSRC identifiers.</summary>
    public int SourceCount { get; }

    /// <summary>The reason text (UTF-8), empty when absent.</summary>
    public ReadOnlySpan<byte> Reason { get; }

    /// <summary>The source at <paramref name="index"/>.</summary>
    public uint GetSource(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SourceCount);
        return BinaryPrimitives.ReadUInt32BigEndian(_body[(4 * index)..]);
    }

    /// <summary>Reads <paramref name="packet"/> as BYE.</summary>
    public static bool TryRead(RtcpPacket packet, out RtcpBye bye, out RtpError error)
    {
        bye = default;
        if (packet.PacketType != RtcpPacketType.Bye)
        {
            error = RtpError.BadPacketType;
            return false;
        }

        var body = packet.Body;
        var sourcesEnd = 4 * packet.Count;
        if (sourcesEnd > body.Length)
        {
            error = RtpError.Truncated;
            return false;
        }

        ReadOnlySpan<byte> reason = default;
        if (sourcesEnd < body.Length)
        {
            int length = body[sourcesEnd];
            if (sourcesEnd + 1 + length > body.Length)
            {
                error = RtpError.BadLength;
                return false;
            }

            reason = body.Slice(sourcesEnd + 1, length);
        }

        bye = new RtcpBye(body, packet.Count, reason);
        error = RtpError.None;
        return true;
    }
}
