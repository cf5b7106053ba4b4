using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Odyssey.Media;
using Odyssey.Pipeline;
using OpenCvSharp;

namespace Acme.EdgeDensity;

/// <summary>Options of <see cref="EdgeDensityBlock"/>.</summary>
public sealed class EdgeDensityOptions : IValidatableObject
{
    /// <summary>Canny's lower hysteresis threshold.</summary>
    [Description("Canny's lower hysteresis threshold.")]
    [Range(0.0, 100000.0)]
    public double LowThreshold { get; init; } = 100;

    /// <summary>Canny's upper hysteresis threshold.</summary>
    [Description("Canny's upper hysteresis threshold.")]
    [Range(0.0, 100000.0)]
    public double HighThreshold { get; init; } = 200;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LowThreshold > HighThreshold)
        {
            yield return new ValidationResult($"lowThreshold ({LowThreshold}) must not exceed highThreshold ({HighThreshold})", ["lowThreshold", "highThreshold"]);
        }
    }
}

/// <summary>The share of a frame's pixels that lie on an edge.</summary>
public sealed class EdgeDensityRecord : AnalysisRecord
{
    /// <inheritdoc />
    public override string Kind => EdgeDensityBlock.TypeName;

    /// <summary>Edge pixels / all pixels, 0..1.</summary>
    public double Density { get; init; }

    /// <inheritdoc />
    protected override void WriteValues(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumber("density", Density);
    }
}

/// <summary>
/// A sample third-party block: how busy a frame is, as the fraction of Canny edge pixels. It keeps
/// its scratch images between frames, so it is not thread-safe.
/// </summary>
[Block(TypeName, Description = "Fraction of pixels on Canny edges (sample plugin).")]
public sealed class EdgeDensityBlock(EdgeDensityOptions options) : TransformBlock<VideoFrame, AnalysisRecord, EdgeDensityOptions>(options)
{
    /// <summary>The type name in pipeline files; prefixed with the vendor, as plugins should be.</summary>
    public const string TypeName = "acme.edgeDensity";

    private readonly Mat _gray = new();
    private readonly Mat _edges = new();

    /// <inheritdoc />
    protected override ValueTask<AnalysisRecord?> TransformAsync(VideoFrame input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);

        // The first plane of every format but packed RGB is already luma; packed RGB is converted.
        var channels = input.Format is PixelFormat.Bgr24 or PixelFormat.Rgb24 ? 3 : 1;
        using (var plane = Mat.FromPixelData(input.Height, input.Width, MatType.CV_8UC(channels), input.GetPlanePointer(0), input.GetStride(0)))
        {
            switch (input.Format)
            {
                case PixelFormat.Bgr24:
                    Cv2.CvtColor(plane, _gray, ColorConversionCodes.BGR2GRAY);
                    break;
                case PixelFormat.Rgb24:
                    Cv2.CvtColor(plane, _gray, ColorConversionCodes.RGB2GRAY);
                    break;
                default:
                    plane.CopyTo(_gray);
                    break;
            }
        }

        Cv2.Canny(_gray, _edges, Options.LowThreshold, Options.HighThreshold);
        var density = (double)Cv2.CountNonZero(_edges) / ((long)input.Width * input.Height);
        return ValueTask.FromResult<AnalysisRecord?>(new EdgeDensityRecord
        {
            Block = Name,
            FrameIndex = input.Index,
            Pts = input.Pts,
            CaptureTime = input.CaptureTime,
            Density = density,
        });
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        _gray.Dispose();
        _edges.Dispose();
        return base.DisposeAsync();
    }
}
