using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.Pipeline;
using Odyssey.Pipeline.Blocks;

namespace Odyssey.Benchmarks.Blocks;

/// <summary>The analysis blocks and the JSONL sink on 1280x720 frames; each op is one frame (or record).</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class AnalysisBenchmarks
{
    private readonly BenchmarkBlockContext _context = new();
    private VideoFrame _bgr = null!;
    private VideoFrame _gray = null!;
    private MotionBlock _motion = null!;
    private BrightnessBlock _brightness = null!;
    private SceneChangeBlock _sceneChange = null!;
    private JsonlSinkBlock _jsonl = null!;
    private MotionRecord _record = null!;

    [GlobalSetup]
    public void Setup()
    {
        _bgr = BenchmarkFrames.Pattern(_context);
        _gray = BenchmarkFrames.Gray(_context, _bgr);
        _motion = BenchmarkBlockContext.Attach(new MotionBlock(new MotionOptions()), _context);
        _brightness = BenchmarkBlockContext.Attach(new BrightnessBlock(new BrightnessOptions()), _context);
        _sceneChange = BenchmarkBlockContext.Attach(new SceneChangeBlock(new SceneChangeOptions()), _context);
        _jsonl = BenchmarkBlockContext.Attach(new JsonlSinkBlock(new JsonlSinkOptions { Path = "bench.jsonl" }), _context);
        _record = new MotionRecord { Block = "m", FrameIndex = 12345, MeanDifference = 3.25, MovingFraction = 0.125 };
        StartJsonl(_jsonl);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _gray.Release();
        _bgr.Release();
        _jsonl.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public AnalysisRecord? Motion_Gray() => Run(_motion, _gray);

    [Benchmark]
    public AnalysisRecord? Motion_Bgr() => Run(_motion, _bgr);

    [Benchmark]
    public AnalysisRecord? Brightness_Gray() => Run(_brightness, _gray);

    [Benchmark]
    public AnalysisRecord? SceneChange_Gray() => Run(_sceneChange, _gray);

    [Benchmark]
    public void Jsonl_Record() => ((SinkBlock<AnalysisRecord, JsonlSinkOptions>)_jsonl).ConsumeAsync(_record, CancellationToken.None).GetAwaiter().GetResult();

    private static AnalysisRecord? Run<TOptions>(TransformBlock<VideoFrame, AnalysisRecord, TOptions> block, VideoFrame input)
        where TOptions : class =>
        block.TransformAsync(input, CancellationToken.None).Result;

    private static void StartJsonl(Block block) => block.StartAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
}
