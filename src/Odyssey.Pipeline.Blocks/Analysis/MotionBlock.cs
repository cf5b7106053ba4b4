using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="MotionBlock"/>.</summary>
public sealed class MotionOptions
{
    /// <summary>A pixel counts as moving when its luma changed by more than this; above codec noise.</summary>
    [Description("A pixel counts as moving when its luma changed by more than this (0..255).")]
    [Range(0, 255)]
    public int PixelThreshold { get; init; } = 25;
}

/// <summary>How much a frame differs from the one before it.</summary>
public sealed class MotionRecord : AnalysisRecord
{
    /// <inheritdoc />
    public override string Kind => MotionBlock.TypeName;

    /// <summary>Mean absolute luma difference to the previous frame, 0..255.</summary>
    public double MeanDifference { get; init; }

    /// <summary>Share of pixels whose luma changed by more than the pixel threshold, 0..1.</summary>
    public double MovingFraction { get; init; }

    /// <inheritdoc />
    protected override void WriteValues(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumber("meanDifference", MeanDifference);
        writer.WriteNumber("movingFraction", MovingFraction);
    }
}

/// <summary>
/// Frame-difference motion measure: one record per frame; the first frame (and the first after a size
/// change) has nothing to compare with and reports 0, 0.
/// </summary>
[Block(TypeName, Description = "Mean luma difference to the previous frame and the share of moving pixels.")]
public sealed class MotionBlock(MotionOptions options) : TransformBlock<VideoFrame, AnalysisRecord, MotionOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "motion";

    private byte[] _previous = [];
    private int _width;
    private int _height;

    /// <inheritdoc />
    protected override ValueTask<AnalysisRecord?> TransformAsync(VideoFrame input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var width = input.Width;
        var height = input.Height;
        var first = width != _width || height != _height;
        if (first)
        {
            _previous = new byte[width * height];
            _width = width;
            _height = height;
        }

        long differenceSum = 0;
        long moving = 0;
        var threshold = Options.PixelThreshold;
        var converted = Luma.ConvertIfPacked(input, Context.FramePool);
        try
        {
            var luma = converted ?? input;
            for (var y = 0; y < height; y++)
            {
                var current = luma.GetRow(0, y);
                var previous = _previous.AsSpan(y * width, width);
                if (!first)
                {
                    FrameDifference.Accumulate(current, previous, threshold, ref differenceSum, ref moving);
                }

                current.CopyTo(previous);
            }
        }
        finally
        {
            converted?.Release();
        }

        var pixels = (double)width * height;
        return ValueTask.FromResult<AnalysisRecord?>(new MotionRecord
        {
            Block = Name,
            FrameIndex = input.Index,
            Pts = input.Pts,
            CaptureTime = input.CaptureTime,
            MeanDifference = differenceSum / pixels,
            MovingFraction = moving / pixels,
        });
    }
}
