using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Benchmarks;

/// <summary>
/// 4:2:0 YUV → BGR24 (and, for reference, BGR24 → I420) at 1280×720: our vectorised converter, our scalar reference, and OpenCV's cvtColor
/// pinned to one thread (our converter is single-threaded too; pipelines parallelise across frames).
/// Everything is allocated in <see cref="Setup"/>, so the figures are the conversions alone.
/// </summary>
[MemoryDiagnoser]
public class ColorConversionBenchmarks
{
    private const int Width = 1280;
    private const int Height = 720;

    private readonly VideoFramePool _pool = new();
    private VideoFrame _i420 = null!;
    private VideoFrame _nv12 = null!;
    private VideoFrame _bgr = null!;
    private VideoFrame _i420Out = null!;
    private Mat _i420Mat = null!;
    private Mat _nv12Mat = null!;
    private Mat _bgrMat = null!;
    private Mat _i420OutMat = null!;

    [GlobalSetup]
    public void Setup()
    {
        Cv2.SetNumThreads(1);
        _i420 = _pool.Rent(Width, Height, PixelFormat.I420);
        _nv12 = _pool.Rent(Width, Height, PixelFormat.Nv12);
        _bgr = _pool.Rent(Width, Height, PixelFormat.Bgr24);
        _i420Out = _pool.Rent(Width, Height, PixelFormat.I420);
        var random = new Random(7);
        for (var plane = 0; plane < _i420.PlaneCount; plane++)
        {
            random.NextBytes(_i420.GetPlane(plane));
        }

        PixelConverter.Convert(_i420, _nv12);

        // OpenCV's 4:2:0 input is one contiguous (h × 3/2) × w Mat; the same pictures, copied row by row.
        _i420Mat = ToContiguous(_i420);
        _nv12Mat = ToContiguous(_nv12);
        _bgrMat = new Mat(Height, Width, MatType.CV_8UC3);
        _i420OutMat = new Mat(Height * 3 / 2, Width, MatType.CV_8UC1);

        // A decoded picture as the BGR input of the reverse direction.
        PixelConverter.Convert(_i420, _bgr);
        Cv2.CvtColor(_i420Mat, _bgrMat, ColorConversionCodes.YUV2BGR_I420);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _i420Mat.Dispose();
        _nv12Mat.Dispose();
        _bgrMat.Dispose();
        _i420OutMat.Dispose();
        _i420Out.Release();
        _i420.Release();
        _nv12.Release();
        _bgr.Release();
    }

    [Benchmark(Description = "I420->BGR24 ours (vectorised)")]
    public void I420ToBgrOurs() => PixelConverter.Convert(_i420, _bgr);

    [Benchmark(Description = "I420->BGR24 ours (scalar reference)")]
    public void I420ToBgrScalarReference() => YuvToRgb.ConvertReference(_i420, _bgr, YuvCoefficients.Bt601);

    [Benchmark(Description = "I420->BGR24 OpenCV (1 thread)")]
    public void I420ToBgrOpenCv() => Cv2.CvtColor(_i420Mat, _bgrMat, ColorConversionCodes.YUV2BGR_I420);

    [Benchmark(Description = "NV12->BGR24 ours (vectorised)")]
    public void Nv12ToBgrOurs() => PixelConverter.Convert(_nv12, _bgr);

    [Benchmark(Description = "NV12->BGR24 OpenCV (1 thread)")]
    public void Nv12ToBgrOpenCv() => Cv2.CvtColor(_nv12Mat, _bgrMat, ColorConversionCodes.YUV2BGR_NV12);

    [Benchmark(Description = "BGR24->I420 ours")]
    public void BgrToI420Ours() => PixelConverter.Convert(_bgr, _i420Out);

    [Benchmark(Description = "BGR24->I420 OpenCV (1 thread)")]
    public void BgrToI420OpenCv() => Cv2.CvtColor(_bgrMat, _i420OutMat, ColorConversionCodes.BGR2YUV_I420);

    private static unsafe Mat ToContiguous(VideoFrame frame)
    {
        var mat = new Mat(Height * 3 / 2, Width, MatType.CV_8UC1);
        var bytes = new Span<byte>((void*)mat.Data, Width * Height * 3 / 2);
        var offset = 0;
        for (var plane = 0; plane < frame.PlaneCount; plane++)
        {
            for (var row = 0; row < PixelFormats.PlaneHeight(frame.Format, plane, Height); row++)
            {
                var source = frame.GetRow(plane, row);
                source.CopyTo(bytes[offset..]);
                offset += source.Length;
            }
        }

        return mat;
    }
}
