using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.WebRtc.Payloads;
using Odyssey.WebRtc.Rtp;

namespace Odyssey.Benchmarks;

/// <summary>
/// Receive-path cost of one 1280×720 video frame after SRTP: RTP parse (with a mid header
/// extension), RTX-aware demux, reception statistics, jitter buffer (store, loss tracking, frame
/// assembly) and depacketization into a pooled <see cref="EncodedPacket"/>, released at once.
/// Frames are the sizes a 2–4 Mbit/s 720p stream has: a 40 KB keyframe (34 packets of ≤ 1200 bytes)
/// and a 10 KB delta frame (9 packets); the bytes are random, which costs the same to move as real
/// bitstream. One operation is one frame; the packets are prebuilt and only their sequence number
/// and timestamp are rewritten per frame, so the stream advances as a live one does.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class RtpReceiveBenchmarks
{
    private const uint Ssrc = 0x1234;
    private const byte PayloadType = 96;
    private const uint FrameTicks = 3000; // 30 fps on the 90 kHz clock
    private static readonly TimeSpan FrameInterval = TimeSpan.FromTicks(TimeSpan.TicksPerSecond / 30);

    private readonly EncodedPacketPool _pool = new();
    private byte[][] _packets = [];
    private int[] _lengths = [];
    private RtpReceiveStream _receiver = null!;
    private ushort _sequence;
    private uint _timestamp;
    private TimeSpan _now;

    [Params(VideoCodec.H264, VideoCodec.Vp8)]
    public VideoCodec Codec { get; set; }

    [Params(40_000, 10_000)]
    public int FrameBytes { get; set; }

    /// <summary>Packets per frame, for allocations per packet.</summary>
    public int PacketsPerFrame => _packets.Length;

    [GlobalSetup]
    public void Setup()
    {
        _receiver = new RtpReceiveStream(
            new RtpReceiveStreamOptions { MediaSsrc = Ssrc, PayloadType = PayloadType, RtxSsrc = 0x5678, RtxPayloadType = 97, JitterBuffer = new JitterBufferOptions { Codec = Codec } },
            _pool);

        // The stream starts with a keyframe, as a receiver needs; the measured frames follow it.
        var keyframe = RtpFrames.Packetize(Codec, RtpFrames.Make(Codec, 40_000, keyframe: true), PayloadType, Ssrc);
        Receive(keyframe.Packets, keyframe.Lengths);

        var measured = RtpFrames.Packetize(Codec, RtpFrames.Make(Codec, FrameBytes, keyframe: FrameBytes >= 20_000), PayloadType, Ssrc);
        _packets = measured.Packets;
        _lengths = measured.Lengths;
        Console.WriteLine($"// {Codec} {FrameBytes} bytes: {_packets.Length} packets per frame");
    }

    [Benchmark]
    public int ReceiveFrame() => Receive(_packets, _lengths);

    private int Receive(byte[][] packets, int[] lengths)
    {
        var frames = 0;
        for (var i = 0; i < packets.Length; i++)
        {
            var packet = packets[i];
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), _sequence++);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), _timestamp);
            _receiver.ReceiveRtp(packet.AsSpan(0, lengths[i]), _now);
            while (_receiver.TryGetFrame(_now, out var frame))
            {
                frames++;
                frame.Release();
            }
        }

        _timestamp += FrameTicks;
        _now += FrameInterval;
        if (frames != 1)
        {
            throw new InvalidOperationException($"expected one frame per operation, got {frames}");
        }

        return frames;
    }
}
