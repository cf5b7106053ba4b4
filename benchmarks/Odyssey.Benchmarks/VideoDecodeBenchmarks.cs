using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.Media.Containers;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Benchmarks;

/// <summary>
/// Decoding 1280×720 H.264 and VP8 with <see cref="VideoDecoder"/>, one codec thread, packets already
/// in memory (read once in <see cref="Setup"/>), frames released at once. One operation is one frame.
/// <see cref="DirectRendering"/> true: libavcodec decodes into pooled frames (zero-copy, the default);
/// false: each picture is copied out of libavcodec's own buffer into a pooled frame (the old path). Compare with `ffmpeg -threads 1 ... -f null -` on the same clips (see RESULTS.md).
/// </summary>
[MemoryDiagnoser]
public class VideoDecodeBenchmarks
{
    private const int FrameCount = 120;

    private readonly VideoFramePool _frames = new();
    private readonly EncodedPacketPool _packets = new();
    private readonly List<EncodedPacket> _clip = [];
    private VideoDecoder _decoder = null!;
    private string _folder = null!;

    [Params(VideoCodec.H264, VideoCodec.Vp8)]
    public VideoCodec Codec { get; set; }

    [Params(true, false)]
    public bool DirectRendering { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "odyssey-decode-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(_folder);
        var encoder = Codec == VideoCodec.H264 ? "-c:v libx264 -bsf:v h264_mp4toannexb -f h264" : "-c:v libvpx -b:v 2M -f ivf";
        var file = Path.Combine(_folder, Codec == VideoCodec.H264 ? "clip.h264" : "clip.ivf");
        using (var process = Process.Start("ffmpeg", $"-nostdin -v error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -frames:v {FrameCount} -pix_fmt yuv420p -g 30 {encoder} {file}"))
        {
            process.WaitForExit();
        }

        using (var reader = new MediaFileReader(file, _packets))
        {
            while (reader.TryRead(out var packet))
            {
                _clip.Add(packet);
            }
        }

        _decoder = new VideoDecoder(Codec, _frames, threads: 1, DirectRendering);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _decoder.Dispose();
        foreach (var packet in _clip)
        {
            packet.Release();
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = FrameCount)]
    public int DecodeClip()
    {
        var decoded = 0;
        foreach (var packet in _clip)
        {
            _decoder.Send(packet);
            while (_decoder.TryReceive(out var frame))
            {
                decoded++;
                frame.Release();
            }
        }

        _decoder.SendEndOfStream();
        while (_decoder.TryReceive(out var frame))
        {
            decoded++;
            frame.Release();
        }

        _decoder.Reset();
        return decoded;
    }
}
