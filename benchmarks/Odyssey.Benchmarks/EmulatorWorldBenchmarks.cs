using BenchmarkDotNet.Attributes;
using Odyssey.Emulator.World;
using Odyssey.Media;

namespace Odyssey.Benchmarks;

/// <summary>
/// The emulator's per-frame work at 1280×704: rendering the world (stamp, text, stripes, boxes) and rendering
/// plus encoding it as the live streamer does (H.264 ultrafast, VP8 realtime). 30 fps needs ≤ 33 ms per frame
/// per session; these say how many sessions one core carries.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class EmulatorWorldBenchmarks
{
    private const int Width = 1280;
    private const int Height = 704;

    private readonly VideoFramePool _frames = new();
    private readonly EncodedPacketPool _packets = new();
    private readonly Scene _scene = Scene.For("a red fox runs through a snowy forest at dawn, cinematic lighting");
    private WorldRenderer _renderer = null!;
    private VideoFrame _frame = null!;
    private WorldEncoder _h264 = null!;
    private WorldEncoder _vp8 = null!;
    private long _index;

    [GlobalSetup]
    public void Setup()
    {
        _renderer = new WorldRenderer(Width, Height);
        _frame = _frames.Rent(Width, Height, PixelFormat.I420);
        _h264 = new WorldEncoder(VideoCodec.H264, Width, Height, 30, 2000, _packets);
        _vp8 = new WorldEncoder(VideoCodec.Vp8, Width, Height, 30, 2000, _packets);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _frame.Release();
        _h264.Dispose();
        _vp8.Dispose();
    }

    [Benchmark]
    public void Render720p() => _renderer.Render(_frame, _scene, _index++);

    [Benchmark]
    public int RenderAndEncodeH264() => Encode(_h264);

    [Benchmark]
    public int RenderAndEncodeVp8() => Encode(_vp8);

    private int Encode(WorldEncoder encoder)
    {
        encoder.Render(_scene, _index++);
        var bytes = 0;
        while (encoder.TryReceive(out var packet))
        {
            bytes += packet.Length;
            packet.Release();
        }

        return bytes;
    }
}
