using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Benchmarks;

/// <summary>
/// libswscale (<see cref="FrameScaler"/>, bicubic, default flags) against our own vectorised
/// <see cref="PixelConverter"/> for I420 → BGR24 at 1280×720 (no resize), plus a half-size I420 shrink
/// for scale. One operation is one frame.
/// </summary>
[MemoryDiagnoser]
public class FrameScalerBenchmarks
{
    private const int Width = 1280;
    private const int Height = 720;

    private readonly VideoFramePool _pool = new();
    private VideoFrame _source = null!;
    private VideoFrame _bgr = null!;
    private VideoFrame _half = null!;
    private FrameScaler _scaler = null!;
    private FrameScaler _shrinker = null!;

    [GlobalSetup]
    public void Setup()
    {
        _source = _pool.Rent(Width, Height, PixelFormat.I420);
        var random = new Random(5);
        for (var plane = 0; plane < 3; plane++)
        {
            random.NextBytes(_source.GetPlane(plane));
        }

        _bgr = _pool.Rent(Width, Height, PixelFormat.Bgr24);
        _half = _pool.Rent(Width / 2, Height / 2, PixelFormat.I420);
        _scaler = new FrameScaler();
        _shrinker = new FrameScaler(ScaleAlgorithm.Bilinear);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _scaler.Dispose();
        _shrinker.Dispose();
        _source.Release();
        _bgr.Release();
        _half.Release();
    }

    [Benchmark(Baseline = true)]
    public void PixelConverterI420ToBgr() => PixelConverter.Convert(_source, _bgr);

    [Benchmark]
    public void FrameScalerI420ToBgr() => _scaler.Scale(_source, _bgr);

    [Benchmark]
    public void FrameScalerHalveI420Bilinear() => _shrinker.Scale(_source, _half);
}
