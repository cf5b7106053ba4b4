using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Benchmarks;

/// <summary>
/// Encoding 1280×720 I420 frames with <see cref="VideoEncoder"/> at its live defaults (H.264: libx264
/// veryfast, zerolatency, constrained baseline; VP8: libvpx realtime, cpu-used 6), 2000 kbps, one codec
/// thread. The frames are ffmpeg's testsrc2 (moving content), made once in <see cref="Setup"/> and held in
/// pooled frames; every packet is copied out and released. One operation is one frame. Compare with the
/// ffmpeg CLI on the same source (see RESULTS.md).
/// </summary>
[MemoryDiagnoser]
public class VideoEncodeBenchmarks
{
    private const int Width = 1280;
    private const int Height = 720;
    private const int FrameCount = 60;

    private readonly VideoFramePool _frames = new();
    private readonly EncodedPacketPool _packets = new();
    private readonly List<VideoFrame> _clip = [];
    private VideoEncoder _encoder = null!;

    [Params(VideoCodec.H264, VideoCodec.Vp8)]
    public VideoCodec Codec { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var file = Path.Combine(Path.GetTempPath(), $"odyssey-encode-bench-{Environment.ProcessId}.yuv");
        using (var process = Process.Start("ffmpeg", $"-nostdin -v error -y -f lavfi -i testsrc2=size={Width}x{Height}:rate=30 -frames:v {FrameCount} -pix_fmt yuv420p -f rawvideo {file}"))
        {
            process.WaitForExit();
        }

        var bytes = File.ReadAllBytes(file);
        File.Delete(file);
        var offset = 0;
        for (var i = 0; i < FrameCount; i++)
        {
            var frame = _frames.Rent(Width, Height, PixelFormat.I420);
            for (var plane = 0; plane < 3; plane++)
            {
                for (var row = 0; row < PixelFormats.PlaneHeight(PixelFormat.I420, plane, Height); row++)
                {
                    var target = frame.GetRow(plane, row);
                    bytes.AsSpan(offset, target.Length).CopyTo(target);
                    offset += target.Length;
                }
            }

            frame.Pts = TimeSpan.FromSeconds(i / 30.0);
            _clip.Add(frame);
        }

        _encoder = new VideoEncoder(new VideoEncoderSettings(Codec, Width, Height), _packets);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _encoder.Dispose();
        foreach (var frame in _clip)
        {
            frame.Release();
        }
    }

    [Benchmark(OperationsPerInvoke = FrameCount)]
    public long EncodeClip()
    {
        long bytes = 0;
        foreach (var frame in _clip)
        {
            _encoder.Send(frame);
            while (_encoder.TryReceive(out var packet))
            {
                bytes += packet.Length;
                packet.Release();
            }
        }

        return bytes;
    }
}
