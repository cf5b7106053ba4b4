using Odyssey.Media;

namespace Odyssey.WebRtc.Payloads;

/// <summary>
/// Splits one encoded frame into RTP payloads of at most <see cref="MaxPayloadSize"/> bytes:
/// <see cref="Begin"/> with the frame, then <see cref="TryWriteNext"/> with the same frame until it
/// returns false. Payloads are written into the caller's buffers (e.g. a packet history slot right
/// after the RTP header), so nothing is allocated per packet.
/// </summary>
public abstract class RtpPacketizer
{
    /// <summary>
    /// Default payload limit: 1200 bytes leaves room for RTP header, extensions, SRTP tag, UDP/IP and
    /// TURN overhead inside a 1280-byte IPv6 minimum MTU (aiortc stays at or below 1300).
    /// </summary>
    public const int DefaultMaxPayloadSize = 1200;

    /// <summary>The smallest limit that still leaves room for descriptors and some data.</summary>
    public const int MinMaxPayloadSize = 32;

    /// <summary>Creates a packetizer limited to <paramref name="maxPayloadSize"/> bytes per payload.</summary>
    protected RtpPacketizer(int maxPayloadSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPayloadSize, MinMaxPayloadSize);
        MaxPayloadSize = maxPayloadSize;
    }

    /// <summary>Largest payload written.</summary>
    public int MaxPayloadSize { get; }

    /// <summary>The codec the frames are in.</summary>
    public abstract VideoCodec Codec { get; }

    /// <summary>A packetizer for <paramref name="codec"/> (VP8 or H.264).</summary>
    public static RtpPacketizer Create(VideoCodec codec, int maxPayloadSize = DefaultMaxPayloadSize) => codec switch
    {
        VideoCodec.Vp8 => new Vp8Packetizer(maxPayloadSize),
        VideoCodec.H264 => new H264Packetizer(maxPayloadSize),
        _ => throw new NotSupportedException($"no RTP packetizer for {codec}; VP8 and H.264 are supported"),
    };

    /// <summary>Starts packetizing <paramref name="frame"/>; pass the same bytes to every <see cref="TryWriteNext"/>.</summary>
    public abstract void Begin(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Writes the next payload into <paramref name="destination"/> (at least <see cref="MaxPayloadSize"/>
    /// bytes); <paramref name="marker"/> is true for the frame's last packet. False when the frame is done.
    /// </summary>
    public abstract bool TryWriteNext(ReadOnlySpan<byte> frame, Span<byte> destination, out int written, out bool marker);

    /// <summary>Throws when <paramref name="destination"/> cannot take a full payload.</summary>
    protected void CheckDestination(Span<byte> destination)
    {
        if (destination.Length < MaxPayloadSize)
        {
            throw new ArgumentException($"payload buffer of {destination.Length} bytes is below the packetizer's limit of {MaxPayloadSize}", nameof(destination));
        }
    }
}
