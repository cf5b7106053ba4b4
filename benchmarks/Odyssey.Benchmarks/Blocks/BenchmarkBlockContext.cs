using Odyssey.Media;
using Odyssey.Pipeline;

namespace Odyssey.Benchmarks.Blocks;

/// <summary>Runs blocks without the engine: a private pool and a temp folder, no ports.</summary>
internal sealed class BenchmarkBlockContext : BlockContext
{
    public override string Name => "bench";

    public override VideoFramePool FramePool { get; } = new();

    public override string BaseDirectory { get; } = Directory.CreateTempSubdirectory("odyssey-bench-").FullName;

    public override IBlockInput<T> GetInput<T>(string port) => throw new NotSupportedException();

    public override IBlockOutput<T> GetOutput<T>(string port) => throw new NotSupportedException();

    public static TBlock Attach<TBlock>(TBlock block, BlockContext context)
        where TBlock : Block
    {
        block.Attach(context);
        return block;
    }
}

/// <summary>An output that releases each frame at once, so a source runs in steady state.</summary>
internal sealed class DiscardingOutput : IBlockOutput<VideoFrame>
{
    public bool IsConnected => true;

    public ValueTask WriteAsync(VideoFrame item, CancellationToken cancellationToken)
    {
        item.Release();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One 1280x720 test-pattern frame in BGR24 and GRAY8, the input of the per-frame benchmarks.</summary>
internal static class BenchmarkFrames
{
    public const int Width = 1280;
    public const int Height = 720;

    public static VideoFrame Pattern(BenchmarkBlockContext context, long index = 5)
    {
        VideoFrame? kept = null;
        var source = BenchmarkBlockContext.Attach(new Odyssey.Pipeline.Blocks.TestPatternBlock(new Odyssey.Pipeline.Blocks.TestPatternOptions { Width = Width, Height = Height, Frames = index + 1 }), context);
        var output = new KeepLast(frame => kept = frame);
        ((SourceBlock<VideoFrame, Odyssey.Pipeline.Blocks.TestPatternOptions>)source).ProduceAsync(output, CancellationToken.None).GetAwaiter().GetResult();
        return kept!;
    }

    public static VideoFrame Gray(BenchmarkBlockContext context, VideoFrame bgr)
    {
        var block = BenchmarkBlockContext.Attach(new Odyssey.Pipeline.Blocks.GrayscaleBlock(new Odyssey.Pipeline.Blocks.GrayscaleOptions()), context);
        return ((TransformBlock<VideoFrame, VideoFrame, Odyssey.Pipeline.Blocks.GrayscaleOptions>)block).TransformAsync(bgr, CancellationToken.None).Result!;
    }

    private sealed class KeepLast(Action<VideoFrame> keep) : IBlockOutput<VideoFrame>
    {
        private VideoFrame? _last;

        public bool IsConnected => true;

        public ValueTask WriteAsync(VideoFrame item, CancellationToken cancellationToken)
        {
            _last?.Release();
            _last = item;
            keep(item);
            return ValueTask.CompletedTask;
        }
    }
}
