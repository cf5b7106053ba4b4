using Odyssey.Media;
using Odyssey.WebRtc.Payloads;
using Odyssey.WebRtc.Rtp;
using Odyssey.WebRtc.Tests.Payloads;

namespace Odyssey.WebRtc.Tests.Rtp;

/// <summary>Encoded frames and the RTP packets a sender would make of them, for receive-path tests.</summary>
internal sealed class RtpTestStream
{
    public const uint MediaSsrc = 0x1234;
    public const uint RtxSsrc = 0x5678;
    public const byte PayloadType = 96;
    public const byte RtxPayloadType = 97;
    public const uint FrameTicks = 3000; // 30 fps at 90 kHz

    private readonly RtpPacketizer _packetizer;
    private ushort _sequence;
    private ushort _rtxSequence = 100;

    public RtpTestStream(VideoCodec codec, ushort firstSequence)
    {
        Codec = codec;
        _packetizer = RtpPacketizer.Create(codec);
        _sequence = firstSequence;
    }

    public VideoCodec Codec { get; }

    public List<byte[]> Frames { get; } = [];

    /// <summary>RTP packets per frame, in sending order.</summary>
    public List<List<byte[]>> Packets { get; } = [];

    public List<byte[]> AddFrame(int size, bool keyframe, int seed)
    {
        var frame = Codec == VideoCodec.Vp8 ? TestFrames.Vp8(size, keyframe, seed) : TestFrames.H264(size, keyframe, seed);
        var timestamp = 1000u + ((uint)Frames.Count * FrameTicks);
        var packets = new List<byte[]>();
        foreach (var (payload, marker) in TestFrames.Packetize(_packetizer, frame))
        {
            var buffer = new byte[1500];
            var writer = new RtpPacketWriter(buffer, PayloadType, _sequence++, timestamp, MediaSsrc, marker);
            writer.AddExtension(1, "0"u8);
            payload.CopyTo(writer.Payload);
            packets.Add(buffer.AsSpan(0, writer.Complete(payload.Length)).ToArray());
        }

        Frames.Add(frame);
        Packets.Add(packets);
        return packets;
    }

    /// <summary>The RFC 4588 retransmission of <paramref name="original"/>: RTX SSRC and type, OSN before the payload.</summary>
    public byte[] Rtx(byte[] original)
    {
        var packet = RtpPacket.Parse(original);
        var buffer = new byte[1500];
        var writer = new RtpPacketWriter(buffer, RtxPayloadType, _rtxSequence++, packet.Timestamp, RtxSsrc, packet.Marker);
        var payload = writer.Payload;
        payload[0] = (byte)(packet.SequenceNumber >> 8);
        payload[1] = (byte)packet.SequenceNumber;
        packet.Payload.CopyTo(payload[2..]);
        return buffer.AsSpan(0, writer.Complete(packet.Payload.Length + 2)).ToArray();
    }

    public static ushort SequenceOf(byte[] packet) => RtpPacket.Parse(packet).SequenceNumber;

    public static RtpReceiveStream CreateReceiver(VideoCodec codec, EncodedPacketPool pool, JitterBufferOptions? options = null) => new(
        new RtpReceiveStreamOptions
        {
            MediaSsrc = MediaSsrc,
            PayloadType = PayloadType,
            RtxSsrc = RtxSsrc,
            RtxPayloadType = RtxPayloadType,
            LocalSsrc = 0x9999,
            JitterBuffer = (options ?? new JitterBufferOptions()) with { Codec = codec },
        },
        pool);
}
