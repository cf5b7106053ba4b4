using System.Buffers.Binary;

namespace Odyssey.WebRtc.Rtp;

/// <summary>
/// Writes one RTP packet into a caller's buffer (RFC 3550 §5.1): the fixed header and CSRCs at
/// construction, then header extensions (RFC 8285), then the payload, then <see cref="Complete"/>.
/// Allocates nothing.
/// </summary>
public ref struct RtpPacketWriter
{
    private const int ExtensionHeaderSize = 4;
    private const int MaxOneByteId = 14;
    private const int MaxOneByteLength = 16;
    private const int MaxTwoByteLength = 255;

    private readonly Span<byte> _buffer;
    private readonly bool _twoByteExtensions;
    private readonly int _extensionStart;
    private int _position;
    private bool _payloadStarted;

    /// <summary>Writes the fixed header (and CSRCs) into <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Destination; must hold the whole packet.</param>
    /// <param name="payloadType">7-bit payload type.</param>
    /// <param name="sequenceNumber">Sequence number.</param>
    /// <param name="timestamp">Media timestamp.</param>
    /// <param name="ssrc">Synchronisation source.</param>
    /// <param name="marker">M bit (last packet of a video frame).</param>
    /// <param name="csrcs">Contributing sources, at most 15.</param>
    /// <param name="twoByteExtensions">Use the RFC 8285 two-byte form (ids up to 255, values up to 255 bytes).</param>
    public RtpPacketWriter(Span<byte> buffer, byte payloadType, ushort sequenceNumber, uint timestamp, uint ssrc, bool marker, ReadOnlySpan<uint> csrcs = default, bool twoByteExtensions = false)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadType, (byte)0x7F);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(csrcs.Length, 15);
        var headerSize = RtpPacket.FixedHeaderSize + (4 * csrcs.Length);
        if (buffer.Length < headerSize)
        {
            throw new ArgumentException($"RTP buffer of {buffer.Length} bytes cannot hold a {headerSize}-byte header", nameof(buffer));
        }

        _buffer = buffer;
        _twoByteExtensions = twoByteExtensions;
        buffer[0] = (byte)((RtpPacket.Version << 6) | csrcs.Length);
        buffer[1] = (byte)((marker ? 0x80 : 0) | payloadType);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], sequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], ssrc);
        for (var i = 0; i < csrcs.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(RtpPacket.FixedHeaderSize + (4 * i))..], csrcs[i]);
        }

        _extensionStart = headerSize;
        _position = headerSize;
    }

    /// <summary>Appends a header extension element; must come before the payload is touched.</summary>
    public void AddExtension(int id, ReadOnlySpan<byte> value)
    {
        if (_payloadStarted)
        {
            throw new InvalidOperationException("RTP header extensions must be added before the payload");
        }

        var maxId = _twoByteExtensions ? 255 : MaxOneByteId;
        var minLength = _twoByteExtensions ? 0 : 1;
        var maxLength = _twoByteExtensions ? MaxTwoByteLength : MaxOneByteLength;
        ArgumentOutOfRangeException.ThrowIfLessThan(id, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(id, maxId);
        if (value.Length < minLength || value.Length > maxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value.Length, $"RTP extension {id}: {(_twoByteExtensions ? "two" : "one")}-byte form carries {minLength}–{maxLength} bytes");
        }

        if (_position == _extensionStart)
        {
            _buffer[0] |= 0x10;
            BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], _twoByteExtensions ? RtpPacket.TwoByteExtensionProfile : RtpPacket.OneByteExtensionProfile);
            _position += ExtensionHeaderSize;
        }

        if (_twoByteExtensions)
        {
            _buffer[_position++] = (byte)id;
            _buffer[_position++] = (byte)value.Length;
        }
        else
        {
            _buffer[_position++] = (byte)((id << 4) | (value.Length - 1));
        }

        value.CopyTo(_buffer[_position..]);
        _position += value.Length;
    }

    /// <summary>Where the payload goes; ends the extension block (padded to 32 bits) on first use.</summary>
    public Span<byte> Payload
    {
        get
        {
            FinishExtensions();
            return _buffer[_position..];
        }
    }

    /// <summary>
    /// Ends the packet after <paramref name="payloadLength"/> payload bytes and optional padding
    /// (RFC 3550 §5.1: the last padding octet holds the count); returns the packet's length.
    /// </summary>
    public int Complete(int payloadLength, int paddingLength = 0)
    {
        FinishExtensions();
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfNegative(paddingLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(paddingLength, 255);
        var length = _position + payloadLength + paddingLength;
        if (length > _buffer.Length)
        {
            throw new ArgumentException($"RTP packet of {length} bytes does not fit its {_buffer.Length}-byte buffer", nameof(payloadLength));
        }

        if (paddingLength > 0)
        {
            _buffer[0] |= 0x20;
            _buffer.Slice(_position + payloadLength, paddingLength - 1).Clear();
            _buffer[length - 1] = (byte)paddingLength;
        }

        return length;
    }

    private void FinishExtensions()
    {
        if (_payloadStarted)
        {
            return;
        }

        _payloadStarted = true;
        if (_position == _extensionStart)
        {
            return;
        }

        // RFC 8285 §4.1: the block is a whole number of 32-bit words, filled with zero padding bytes.
        while ((_position - _extensionStart) % 4 != 0)
        {
            _buffer[_position++] = 0;
        }

        var words = (_position - _extensionStart - ExtensionHeaderSize) / 4;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_extensionStart + 2)..], (ushort)words);
    }
}
