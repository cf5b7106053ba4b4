using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.Pipeline;
using Odyssey.Pipeline.Blocks;
using OpenCvSharp;

namespace Odyssey.Benchmarks.Blocks;

/// <summary>
/// The OpenCV transform blocks on one 1280x720 frame, beside the bare OpenCV call on a continuous Mat:
/// the difference is what wrapping pooled frames costs.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class OpenCvTransformBenchmarks
{
    private readonly BenchmarkBlockContext _context = new();
    private VideoFrame _bgr = null!;
    private VideoFrame _gray = null!;
    private Mat _bgrMat = null!;
    private Mat _scratch = null!;
    private GaussianBlurBlock _blur = null!;
    private ResizeBlock _resize = null!;
    private GrayscaleBlock _grayscale = null!;
    private CannyBlock _canny = null!;
    private ThresholdBlock _threshold = null!;

    [GlobalSetup]
    public void Setup()
    {
        _bgr = BenchmarkFrames.Pattern(_context);
        _gray = BenchmarkFrames.Gray(_context, _bgr);
        using (var view = Mat.FromPixelData(_bgr.Height, _bgr.Width, MatType.CV_8UC3, _bgr.GetPlanePointer(0), _bgr.GetStride(0)))
        {
            _bgrMat = view.Clone();
        }

        _scratch = new Mat(_bgrMat.Size(), _bgrMat.Type());
        _blur = BenchmarkBlockContext.Attach(new GaussianBlurBlock(new GaussianBlurOptions { Kernel = 5 }), _context);
        _resize = BenchmarkBlockContext.Attach(new ResizeBlock(new ResizeOptions { Width = 640, Height = 360 }), _context);
        _grayscale = BenchmarkBlockContext.Attach(new GrayscaleBlock(new GrayscaleOptions()), _context);
        _canny = BenchmarkBlockContext.Attach(new CannyBlock(new CannyOptions()), _context);
        _threshold = BenchmarkBlockContext.Attach(new ThresholdBlock(new ThresholdOptions()), _context);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _gray.Release();
        _bgr.Release();
        _bgrMat.Dispose();
        _scratch.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void GaussianBlur5x5_Cv2Direct() => Cv2.GaussianBlur(_bgrMat, _scratch, new Size(5, 5), 0);

    [Benchmark]
    public void GaussianBlur5x5_Block() => Run(_blur, _bgr);

    [Benchmark]
    public void ResizeHalf_Block() => Run(_resize, _bgr);

    [Benchmark]
    public void Grayscale_Block() => Run(_grayscale, _bgr);

    [Benchmark]
    public void Canny_GrayBlock() => Run(_canny, _gray);

    [Benchmark]
    public void Threshold_GrayBlock() => Run(_threshold, _gray);

    private static void Run<TOptions>(TransformBlock<VideoFrame, VideoFrame, TOptions> block, VideoFrame input)
        where TOptions : class =>
        block.TransformAsync(input, CancellationToken.None).Result!.Release();
}
