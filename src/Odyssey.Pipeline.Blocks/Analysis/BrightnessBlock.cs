using System.Collections.Immutable;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="BrightnessBlock"/>.</summary>
public sealed class BrightnessOptions
{
    /// <summary>Histogram bins over luma 0..255: value v falls in bin v × bins / 256.</summary>
    [Description("Histogram bins over luma 0..255 (value v falls in bin v*bins/256).")]
    [Range(1, 256)]
    public int Bins { get; init; } = 16;
}

/// <summary>Mean luma and a luma histogram of one frame.</summary>
public sealed class BrightnessRecord : AnalysisRecord
{
    /// <inheritdoc />
    public override string Kind => BrightnessBlock.TypeName;

    /// <summary>Mean luma, 0..255.</summary>
    public double Mean { get; init; }

    /// <summary>Pixel counts per bin, from dark to bright.</summary>
    public ImmutableArray<long> Histogram { get; init; } = [];

    /// <inheritdoc />
    protected override void WriteValues(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumber("mean", Mean);
        writer.WriteStartArray("histogram");
        foreach (var count in Histogram)
        {
            writer.WriteNumberValue(count);
        }

        writer.WriteEndArray();
    }
}

/// <summary>Measures brightness: one record per frame.</summary>
/// <remarks>The record's histogram array is the one allocation per frame: it leaves with the record.</remarks>
[Block(TypeName, Description = "Mean luma and a luma histogram per frame.")]
public sealed class BrightnessBlock(BrightnessOptions options) : TransformBlock<VideoFrame, AnalysisRecord, BrightnessOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "brightness";

    private readonly LumaHistogram _histogram = new();

    /// <inheritdoc />
    protected override ValueTask<AnalysisRecord?> TransformAsync(VideoFrame input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        _histogram.Count(input, Context.FramePool);
        var bins = new long[Options.Bins];
        _histogram.Fold(bins);
        return ValueTask.FromResult<AnalysisRecord?>(new BrightnessRecord
        {
            Block = Name,
            FrameIndex = input.Index,
            Pts = input.Pts,
            CaptureTime = input.CaptureTime,
            Mean = _histogram.Mean(),
            Histogram = System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(bins),
        });
    }
}
