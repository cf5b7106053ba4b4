using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Benchmarks;

/// <summary>
/// Image-to-video prep (<see cref="StillImage"/>, what <c>OdysseyImage.PrepareForVideo</c> runs): a 1920×1080
/// JPEG decoded to RGB, centre-cropped and scaled to 1280×704, re-encoded as JPEG (qscale 2), each step and
/// the whole. One operation is one image; this runs once per stream start, not per frame.
/// </summary>
[MemoryDiagnoser]
public class StillImageBenchmarks
{
    private const int SourceWidth = 1920;
    private const int SourceHeight = 1080;

    private readonly VideoFramePool _pool = new();
    private byte[] _jpeg = null!;
    private VideoFrame _decoded = null!;
    private VideoFrame _filled = null!;

    [GlobalSetup]
    public void Setup()
    {
        var picture = _pool.Rent(SourceWidth, SourceHeight, PixelFormat.Rgb24);
        for (var y = 0; y < SourceHeight; y++)
        {
            var row = picture.GetRow(0, y);
            for (var x = 0; x < SourceWidth; x++)
            {
                // Smooth gradients with some texture: a photo-like amount of detail for the codec.
                row[x * 3] = (byte)(x * 255 / SourceWidth);
                row[(x * 3) + 1] = (byte)(y * 255 / SourceHeight);
                row[(x * 3) + 2] = (byte)((x ^ y) & 0xFF);
            }
        }

        _jpeg = StillImage.EncodeJpeg(picture);
        picture.Release();
        _decoded = StillImage.Decode(_jpeg, _pool);
        _filled = StillImage.ResizeToFill(_decoded, 1280, 704, _pool);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _decoded.Release();
        _filled.Release();
    }

    [Benchmark]
    public void Decode1080pJpeg() => StillImage.Decode(_jpeg, _pool).Release();

    [Benchmark]
    public void ResizeToFill1080pTo1280x704() => StillImage.ResizeToFill(_decoded, 1280, 704, _pool).Release();

    [Benchmark]
    public byte[] EncodeJpeg1280x704() => StillImage.EncodeJpeg(_filled);

    [Benchmark(Baseline = true)]
    public byte[] WholePrep()
    {
        var decoded = StillImage.Decode(_jpeg, _pool);
        var filled = StillImage.ResizeToFill(decoded, 1280, 704, _pool);
        decoded.Release();
        try
        {
            return StillImage.EncodeJpeg(filled);
        }
        finally
        {
            filled.Release();
        }
    }
}
