using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Dtls;
using Odyssey.WebRtc.Payloads;
using Odyssey.WebRtc.Rtp;
using Odyssey.WebRtc.Srtp;

namespace Odyssey.Benchmarks;

/// <summary>
/// The PeerConnection's whole receive path for one 1280×720 frame, as the socket thread runs it: copy the
/// datagram, SRTP unprotect (AES-CM + HMAC-SHA1-80), RTP parse, jitter buffer, depacketize into a pooled
/// packet, hand it to the track's channel; the consumer's read and release are included. SRTP packets
/// cannot be replayed, so each operation first protects its packets with the sender's context:
/// <see cref="ProtectOnly"/> measures that part alone, and the receive path is the difference.
/// Frame sizes as in <see cref="RtpReceiveBenchmarks"/>: a 40 KB keyframe and a 10 KB delta frame.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class PeerReceivePathBenchmarks
{
    private const uint Ssrc = 0x1234;
    private const byte PayloadType = 96;
    private const uint FrameTicks = 3000;

    private readonly EncodedPacketPool _pool = new();
    private readonly byte[] _protected = new byte[1500];
    private byte[][] _packets = [];
    private int[] _lengths = [];
    private SrtpContext _sender = null!;
    private MediaSession _session = null!;
    private RemoteVideoTrack _track = null!;
    private ushort _sequence;
    private uint _timestamp;

    [Params(VideoCodec.H264, VideoCodec.Vp8)]
    public VideoCodec Codec { get; set; }

    [Params(40_000, 10_000)]
    public int FrameBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var key = new SrtpMasterKey(SrtpProfile.Aes128CmHmacSha1_80, new byte[16] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }, new byte[14]);
        _sender = new SrtpContext(key);
        _track = new RemoteVideoTrack("0", Codec, Ssrc, capacity: 4);
        _session = new MediaSession(
            new NullTransport(),
            key,
            key,
            new RtpReceiveStreamOptions { MediaSsrc = Ssrc, PayloadType = PayloadType, JitterBuffer = new JitterBufferOptions { Codec = Codec } },
            _track,
            send: null,
            localTrack: null,
            _pool,
            TimeSpan.FromSeconds(1),
            System.Diagnostics.Stopwatch.GetTimestamp());

        var keyframe = RtpFrames.Packetize(Codec, RtpFrames.Make(Codec, 40_000, keyframe: true), PayloadType, Ssrc);
        Run(keyframe.Packets, keyframe.Lengths, receive: true);
        var measured = RtpFrames.Packetize(Codec, RtpFrames.Make(Codec, FrameBytes, keyframe: FrameBytes >= 20_000), PayloadType, Ssrc);
        _packets = measured.Packets;
        _lengths = measured.Lengths;
        Console.WriteLine($"// {Codec} {FrameBytes} bytes: {_packets.Length} packets per frame");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sender.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int ProtectOnly() => Run(_packets, _lengths, receive: false);

    [Benchmark]
    public int ProtectAndReceive() => Run(_packets, _lengths, receive: true);

    private int Run(byte[][] packets, int[] lengths, bool receive)
    {
        var frames = 0;
        for (var i = 0; i < packets.Length; i++)
        {
            var packet = packets[i];
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), _sequence++);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), _timestamp);
            packet.AsSpan(0, lengths[i]).CopyTo(_protected);
            _sender.ProtectRtp(_protected, lengths[i], out var length);
            if (receive)
            {
                _session.OnDatagram(_protected.AsSpan(0, length), DatagramKind.Rtp);
                while (_track.Frames.TryRead(out var frame))
                {
                    frames++;
                    frame.Release();
                }
            }
        }

        _timestamp += FrameTicks;
        if (receive && frames != 1)
        {
            throw new InvalidOperationException($"expected one frame per operation, got {frames}");
        }

        return frames;
    }

    private sealed class NullTransport : IDatagramTransport
    {
        public int MaxDatagramSize => 1200;

        public event DatagramHandler? Received
        {
            add { }
            remove { }
        }

        public void Send(ReadOnlySpan<byte> datagram)
        {
        }
    }
}
