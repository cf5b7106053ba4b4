using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;

namespace Odyssey.Pipeline.Tests.Loading;

// Blocks that exist only for the loader tests: the real ones are written elsewhere, and these cover
// every shape the loader must handle (source, thread-safe and stateful transforms, sinks with a
// required option, a custom block with several ports in each direction).

public enum TestPattern
{
    Bars,
    Gradient,
    SolidColor,
}

public sealed record TestSourceOptions
{
    [Range(1, 8192)]
    [Description("Frame width in pixels.")]
    public int Width { get; init; } = 640;

    [Range(1, 8192)]
    public int Height { get; init; } = 480;

    [Description("Frames to produce; null for endless.")]
    public int? Frames { get; init; }

    public TestPattern Pattern { get; init; } = TestPattern.Bars;

    public string Label { get; init; } = "test";

    public bool Live { get; init; }

    [Range(0.5, 240)]
    public double Fps { get; init; } = 30;
}

[Block("testSource", Description = "Test frames.")]
public sealed class TestSourceBlock(TestSourceOptions options) : SourceBlock<VideoFrame, TestSourceOptions>(options)
{
    protected internal override Task ProduceAsync(IBlockOutput<VideoFrame> output, CancellationToken cancellationToken) => Task.CompletedTask;
}

public sealed record BlurOptions : IValidatableObject
{
    [Range(1, 31)]
    [Description("Kernel size in pixels; odd.")]
    public int Kernel { get; init; } = 3;

    public double Sigma { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Kernel % 2 == 0)
        {
            yield return new ValidationResult("kernel must be odd", [nameof(Kernel)]);
        }
    }
}

[Block("blur", Description = "Blurs frames.", ThreadSafe = true)]
public sealed class BlurBlock(BlurOptions options) : TransformBlock<VideoFrame, VideoFrame, BlurOptions>(options)
{
    protected internal override ValueTask<VideoFrame?> TransformAsync(VideoFrame input, CancellationToken cancellationToken) => ValueTask.FromResult<VideoFrame?>(null);
}

public sealed record MotionOptions : IValidatableObject
{
    public double Threshold { get; init; } = 0.1;

    public int MinArea { get; init; }

    public int MaxArea { get; init; } = 100;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinArea > MaxArea)
        {
            yield return new ValidationResult("minArea must not exceed maxArea.", [nameof(MinArea), nameof(MaxArea)]);
        }
    }
}

[Block("motion")]
public sealed class MotionBlock(MotionOptions options) : TransformBlock<VideoFrame, TestRecord, MotionOptions>(options)
{
    protected internal override ValueTask<TestRecord?> TransformAsync(VideoFrame input, CancellationToken cancellationToken) => ValueTask.FromResult<TestRecord?>(null);
}

public sealed class TestRecord : AnalysisRecord
{
    public override string Kind => "test";

    protected override void WriteValues(System.Text.Json.Utf8JsonWriter writer)
    {
    }
}

public sealed record RecordSinkOptions
{
    public required string Path { get; init; }

    public bool Append { get; init; }
}

[Block("recordSink")]
public sealed class RecordSinkBlock(RecordSinkOptions options) : SinkBlock<AnalysisRecord, RecordSinkOptions>(options)
{
    protected internal override ValueTask ConsumeAsync(AnalysisRecord item, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

public sealed record NoOptions;

[Block("frameSink")]
public sealed class FrameSinkBlock(NoOptions options) : SinkBlock<VideoFrame, NoOptions>(options)
{
    protected internal override ValueTask ConsumeAsync(VideoFrame item, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

[Block("mux")]
[Input("video", typeof(VideoFrame))]
[Input("records", typeof(AnalysisRecord), Required = false)]
[Output("out", typeof(VideoFrame))]
[Output("preview", typeof(VideoFrame))]
public sealed class MuxBlock(NoOptions options) : CustomBlock<NoOptions>(options)
{
    protected internal override Task RunAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal static class TestRegistry
{
    public static BlockRegistry Create()
    {
        var registry = new BlockRegistry();
        registry.Register(typeof(TestSourceBlock));
        registry.Register(typeof(BlurBlock));
        registry.Register(typeof(MotionBlock));
        registry.Register(typeof(RecordSinkBlock));
        registry.Register(typeof(FrameSinkBlock));
        registry.Register(typeof(MuxBlock));
        return registry;
    }
}
