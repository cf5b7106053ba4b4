using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.Pipeline.Blocks;
using OpenCvSharp;

namespace Odyssey.Benchmarks;

/// <summary>
/// The preview's per-item costs while a browser watches: charting one motion record (every record, so it must
/// not allocate) and one JPEG of a 640×360 BGR frame, as sent at most maxFps times a second (it allocates the
/// JPEG, shared by every browser). OpenCV pinned to one thread, as a pipeline block gets.
/// </summary>
[MemoryDiagnoser]
public class PreviewBenchmarks
{
    private const int Width = 640;
    private const int Height = 360;

    private readonly VideoFramePool _pool = new();
    private readonly ChartPoints _chart = new(["motion.movingFraction", "meanDifference"]);
    private readonly FrameImages _images = new();
    private MotionRecord _record = null!;
    private VideoFrame _frame = null!;
    private VideoFrame _i420 = null!;
    private int _added;

    [GlobalSetup]
    public void Setup()
    {
        Cv2.SetNumThreads(1);
        _record = new MotionRecord { Block = "motion", FrameIndex = 1234, Pts = TimeSpan.FromMilliseconds(41133), MeanDifference = 3.25, MovingFraction = 0.0125 };
        _frame = _pool.Rent(Width, Height, PixelFormat.Bgr24);
        _i420 = _pool.Rent(Width, Height, PixelFormat.I420);
        var random = new Random(7);
        random.NextBytes(_frame.GetPlane(0));
        for (var plane = 0; plane < _i420.PlaneCount; plane++)
        {
            random.NextBytes(_i420.GetPlane(plane));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _frame.Release();
        _i420.Release();
        _images.Dispose();
    }

    /// <summary>One record into the pending points; emptied every 256 records (without building a message) so the buffer stays warm.</summary>
    [Benchmark]
    public void ChartRecord()
    {
        _chart.Add(_record);
        if (++_added % 256 == 0)
        {
            _chart.Discard();
        }
    }

    [Benchmark]
    public int JpegBgr640x360() => _images.EncodeJpeg(_frame, _pool, Width, 75).Length;

    [Benchmark]
    public int JpegI420640x360() => _images.EncodeJpeg(_i420, _pool, Width, 75).Length;
}
