using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.Media.Containers;

namespace Odyssey.Benchmarks;

/// <summary>
/// Demuxing and remuxing a 1280×720 H.264 clip of 120 frames (libx264 defaults, -g 30) with
/// <see cref="MediaFileReader"/> and <see cref="MediaFileWriter"/>: one operation is one packet.
/// Read: MP4 (with the h264_mp4toannexb filter) and raw Annex-B, packets copied into the pool and released.
/// Remux: MP4 in, MKV out, trailer and rename included. Compare with `ffmpeg -i clip.mp4 -c copy out.mkv`.
/// </summary>
[MemoryDiagnoser]
public class MediaFileBenchmarks
{
    private const int FrameCount = 120;

    private readonly EncodedPacketPool _packets = new();
    private string _folder = null!;
    private MediaFileReader _reader = null!;

    [Params("mp4", "h264")]
    public string Container { get; set; } = "mp4";

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "odyssey-mediafile-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(_folder);
        var file = Path.Combine(_folder, "clip." + Container);
        using (var process = Process.Start("ffmpeg", $"-nostdin -v error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -frames:v {FrameCount} -pix_fmt yuv420p -g 30 -c:v libx264 {file}"))
        {
            process.WaitForExit();
        }

        _reader = new MediaFileReader(file, _packets);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _reader.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = FrameCount)]
    public long ReadClip()
    {
        _reader.Seek(TimeSpan.Zero);
        var bytes = 0L;
        while (_reader.TryRead(out var packet))
        {
            bytes += packet.Length;
            packet.Release();
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = FrameCount)]
    public long RemuxClipToMkv()
    {
        _reader.Seek(TimeSpan.Zero);
        using var writer = new MediaFileWriter(Path.Combine(_folder, "out.mkv"), _reader.StreamInfo);
        while (_reader.TryRead(out var packet))
        {
            writer.Write(packet);
            packet.Release();
        }

        writer.Complete();
        return writer.PacketsWritten;
    }
}
