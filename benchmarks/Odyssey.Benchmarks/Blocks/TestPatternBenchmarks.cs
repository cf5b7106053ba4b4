using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.Pipeline;
using Odyssey.Pipeline.Blocks;

namespace Odyssey.Benchmarks.Blocks;

/// <summary>The test-pattern source at 1280x720 (frames per second = 1e9 / ns per op × FramesPerOp) and the index reader.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class TestPatternBenchmarks
{
    private const int FramesPerOp = 100;

    private readonly BenchmarkBlockContext _context = new();
    private readonly DiscardingOutput _output = new();
    private VideoFrame _frame = null!;

    [GlobalSetup]
    public void Setup() => _frame = BenchmarkFrames.Pattern(_context);

    [GlobalCleanup]
    public void Cleanup() => _frame.Release();

    /// <summary>100 frames: scene + stamp drawn into pooled frames.</summary>
    [Benchmark(OperationsPerInvoke = FramesPerOp)]
    public Task Produce720p()
    {
        var source = BenchmarkBlockContext.Attach(new TestPatternBlock(new TestPatternOptions { Width = BenchmarkFrames.Width, Height = BenchmarkFrames.Height, Frames = FramesPerOp }), _context);
        return ((SourceBlock<VideoFrame, TestPatternOptions>)source).ProduceAsync(_output, CancellationToken.None);
    }

    [Benchmark]
    public bool ReadIndex720p() => FrameIndexCode.TryRead(_frame, out _);
}
