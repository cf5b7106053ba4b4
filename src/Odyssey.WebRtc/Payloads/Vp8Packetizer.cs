using Odyssey.Media;

namespace Odyssey.WebRtc.Payloads;

/// <summary>
/// Packetizes VP8 frames (RFC 7741) as one partition stream with a 15-bit PictureID, the form
/// Chromium and aiortc send; packet sizes are balanced so that no tiny last packet is sent.
/// </summary>
internal sealed class Vp8Packetizer : RtpPacketizer
{
    // X=1 | I=1 | M=1 + 15-bit PictureID: 1 + 1 + 2 bytes.
    private const int DescriptorSize = 4;
    private const byte ExtendedBit = 0x80;
    private const byte StartBit = 0x10;
    private const byte PictureIdPresent = 0x80;
    private const byte LongPictureId = 0x80;
    private const int PictureIdMask = 0x7FFF;

    private int _pictureId;
    private int _offset;
    private int _packetIndex;
    private int _packetCount;
    private int _baseSize;
    private int _largerPackets;
    private int _frameLength;

    public Vp8Packetizer(int maxPayloadSize, int initialPictureId = 0)
        : base(maxPayloadSize)
    {
        _pictureId = initialPictureId & PictureIdMask;
        _packetIndex = _packetCount = 0;
    }

    public override VideoCodec Codec => VideoCodec.Vp8;

    /// <summary>PictureID of the frame being packetized.</summary>
    public int PictureId => _pictureId;

    public override void Begin(ReadOnlySpan<byte> frame)
    {
        if (frame.IsEmpty)
        {
            throw new ArgumentException("a VP8 frame has at least its 3-byte frame tag", nameof(frame));
        }

        if (_packetCount != 0)
        {
            _pictureId = (_pictureId + 1) & PictureIdMask;
        }

        var capacity = MaxPayloadSize - DescriptorSize;
        _frameLength = frame.Length;
        _packetCount = (frame.Length + capacity - 1) / capacity;
        _baseSize = frame.Length / _packetCount;
        _largerPackets = frame.Length % _packetCount;
        _packetIndex = 0;
        _offset = 0;
    }

    public override bool TryWriteNext(ReadOnlySpan<byte> frame, Span<byte> destination, out int written, out bool marker)
    {
        CheckDestination(destination);
        if (frame.Length != _frameLength)
        {
            throw new ArgumentException("TryWriteNext must be given the frame passed to Begin", nameof(frame));
        }

        if (_packetIndex >= _packetCount)
        {
            written = 0;
            marker = false;
            return false;
        }

        var size = _baseSize + (_packetIndex < _largerPackets ? 1 : 0);
        destination[0] = (byte)(ExtendedBit | (_packetIndex == 0 ? StartBit : 0));
        destination[1] = PictureIdPresent;
        destination[2] = (byte)(LongPictureId | (_pictureId >> 8));
        destination[3] = (byte)_pictureId;
        frame.Slice(_offset, size).CopyTo(destination[DescriptorSize..]);
        _offset += size;
        _packetIndex++;
        written = DescriptorSize + size;
        marker = _packetIndex == _packetCount;
        return true;
    }
}
