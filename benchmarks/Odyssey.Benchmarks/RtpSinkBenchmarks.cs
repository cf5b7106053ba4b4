using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Odyssey.Benchmarks.Blocks;
using Odyssey.Media;
using Odyssey.Pipeline.Blocks;

namespace Odyssey.Benchmarks;

/// <summary>
/// The rtp sink's per-frame path: packetize one encoded H.264 access unit (RFC 6184 FU-A) and send each
/// RTP packet to a loopback UDP socket nobody reads (the kernel drops what overflows; the send cost is
/// what we measure). One operation is one frame; pacing off. Steady state must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class RtpSinkBenchmarks
{
    private readonly EncodedPacketPool _packets = new();
    private BenchmarkBlockContext _context = null!;
    private RtpSinkBlock _sink = null!;
    private Socket _receiver = null!;
    private EncodedPacket _frame = null!;
    private long _index;

    /// <summary>Bytes in the access unit: a 720p keyframe and a typical 2 Mbit/s P frame.</summary>
    [Params(60_000, 8_000)]
    public int FrameBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)_receiver.LocalEndPoint!).Port;
        _context = new BenchmarkBlockContext();
        _sink = BenchmarkBlockContext.Attach(new RtpSinkBlock(new RtpSinkOptions { Port = port, Pace = false }), _context);
        _sink.StartAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();

        // One Annex-B IDR NAL unit of random payload bytes without zeros, so no false start codes.
        _frame = _packets.Rent(FrameBytes);
        var data = _frame.Data;
        new Random(7).NextBytes(data);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = data[i] == 0 ? (byte)1 : data[i];
        }

        data[0] = 0;
        data[1] = 0;
        data[2] = 0;
        data[3] = 1;
        data[4] = 0x65;
        _frame.Codec = VideoCodec.H264;
    }

    [Benchmark]
    public ValueTask SendFrame()
    {
        _frame.Pts = TimeSpan.FromTicks(_index * TimeSpan.TicksPerSecond / 30);
        _frame.Index = _index++;
        return _sink.ConsumeAsync(_frame, CancellationToken.None);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sink.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _receiver.Dispose();
        _frame.Release();
    }
}
