using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.Pipeline;

namespace Odyssey.Benchmarks;

/// <summary>
/// Loading is a cold path (once per run), so the figure that matters is that a realistic file
/// validates in well under a millisecond and a broken one costs about the same.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class PipelineLoaderBenchmarks
{
    private const string ValidFile = """
        {
          // ten blocks, every link form
          "defaults": { "capacity": 8, "full": "wait" },
          "blocks": {
            "src": { "type": "bench.source", "options": { "width": 1280, "height": 720, "frames": 300 } },
            "a": { "type": "bench.filter", "options": { "kernel": 5 }, "parallelism": 2 },
            "b": { "type": "bench.filter", "options": { "kernel": 3 } },
            "c": { "type": "bench.filter" },
            "d": { "type": "bench.filter", "options": { "mode": "fast" } },
            "e": { "type": "bench.filter" },
            "s1": { "type": "bench.sink", "options": { "path": "a.mp4" } },
            "s2": { "type": "bench.sink", "options": { "path": "b.mp4" } },
            "s3": { "type": "bench.sink", "options": { "path": "c.mp4" } },
            "s4": { "type": "bench.sink", "options": { "path": "d.mp4" } }
          },
          "links": [
            "src -> a -> b -> s1",
            "src -> c -> s2",
            { "from": "b", "to": "d.in", "capacity": 4, "full": "drop-oldest" },
            { "chain": "d -> e -> s3", "capacity": 2 },
            "c -> s4"
          ]
        }
        """;

    private static readonly string BrokenFile = ValidFile
        .Replace("\"kernel\": 5", "\"kernal\": 5", StringComparison.Ordinal)
        .Replace("\"bench.sink\", \"options\": { \"path\": \"c.mp4\" }", "\"bench.sinc\"", StringComparison.Ordinal)
        .Replace("\"c -> s4\"", "\"c -> -> s4\"", StringComparison.Ordinal);

    private BlockRegistry _registry = null!;

    [GlobalSetup]
    public void Setup()
    {
        _registry = new BlockRegistry();
        _registry.Register(typeof(BenchSource));
        _registry.Register(typeof(BenchFilter));
        _registry.Register(typeof(BenchSink));
        if (!PipelineLoader.Load(ValidFile, _registry, ".").IsValid || PipelineLoader.Load(BrokenFile, _registry, ".").Errors.Length < 3)
        {
            throw new InvalidOperationException("benchmark inputs are not what they claim to be");
        }
    }

    [Benchmark(Baseline = true)]
    public PipelineLoadResult LoadValid() => PipelineLoader.Load(ValidFile, _registry, ".");

    [Benchmark]
    public PipelineLoadResult LoadBroken() => PipelineLoader.Load(BrokenFile, _registry, ".");

    [Benchmark]
    public PipelineLoadResult LoadValidWithOverrides() => PipelineLoader.Load(ValidFile, _registry, ".", ["src.frames=10", "a.kernel=7", "s1.path=x.mp4"]);

    [Benchmark]
    public string GenerateSchema() => PipelineSchema.Generate(_registry);

    public enum FilterMode
    {
        Exact,
        Fast,
    }

    public sealed record SourceOptions
    {
        [System.ComponentModel.DataAnnotations.Range(1, 8192)]
        public int Width { get; init; } = 640;

        [System.ComponentModel.DataAnnotations.Range(1, 8192)]
        public int Height { get; init; } = 480;

        public int? Frames { get; init; }
    }

    public sealed record FilterOptions
    {
        [System.ComponentModel.DataAnnotations.Range(1, 31)]
        public int Kernel { get; init; } = 3;

        public FilterMode Mode { get; init; }
    }

    public sealed record SinkOptions
    {
        public required string Path { get; init; }
    }

    [Block("bench.source")]
    public sealed class BenchSource(SourceOptions options) : SourceBlock<VideoFrame, SourceOptions>(options)
    {
        protected internal override Task ProduceAsync(IBlockOutput<VideoFrame> output, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Block("bench.filter", ThreadSafe = true)]
    public sealed class BenchFilter(FilterOptions options) : TransformBlock<VideoFrame, VideoFrame, FilterOptions>(options)
    {
        protected internal override ValueTask<VideoFrame?> TransformAsync(VideoFrame input, CancellationToken cancellationToken) => ValueTask.FromResult<VideoFrame?>(null);
    }

    [Block("bench.sink")]
    public sealed class BenchSink(SinkOptions options) : SinkBlock<VideoFrame, SinkOptions>(options)
    {
        protected internal override ValueTask ConsumeAsync(VideoFrame item, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
