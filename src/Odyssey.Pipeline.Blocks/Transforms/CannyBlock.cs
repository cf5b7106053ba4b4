using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="CannyBlock"/>.</summary>
public sealed class CannyOptions : IValidatableObject
{
    /// <summary>Lower hysteresis threshold: weaker gradients join an edge only next to a strong one.</summary>
    [Description("Lower hysteresis threshold on the gradient magnitude.")]
    [Range(0.0, 100000.0)]
    public double Threshold1 { get; init; } = 100;

    /// <summary>Upper hysteresis threshold: gradients above it start an edge.</summary>
    [Description("Upper hysteresis threshold on the gradient magnitude.")]
    [Range(0.0, 100000.0)]
    public double Threshold2 { get; init; } = 200;

    /// <summary>Sobel aperture: 3, 5 or 7.</summary>
    [Description("Sobel aperture size: 3, 5 or 7.")]
    [Range(3, 7)]
    public int Aperture { get; init; } = 3;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Aperture is not (3 or 5 or 7))
        {
            yield return new ValidationResult($"aperture must be 3, 5 or 7, got {Aperture}", ["aperture"]);
        }
    }
}

/// <summary>Canny edge detection: GRAY8 edge maps (255 on edges) from grey or colour frames.</summary>
[Block(TypeName, Description = "Canny edge detector; outputs gray8 edge maps (bgr24, rgb24, gray8 in).", ThreadSafe = true)]
public sealed class CannyBlock(CannyOptions options) : TransformBlock<VideoFrame, VideoFrame, CannyOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "canny";

    /// <inheritdoc />
    protected override ValueTask<VideoFrame?> TransformAsync(VideoFrame input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        PixelFormatGuard.Require(this, TypeName, input.Format, PixelFormatGuard.Packed);
        var pool = Context.FramePool;
        var output = pool.Rent(input.Width, input.Height, PixelFormat.Gray8);

        // Colour input is made grey in a pooled scratch frame, not a field: the block is thread-safe.
        VideoFrame? gray = null;
        try
        {
            if (input.Format != PixelFormat.Gray8)
            {
                gray = pool.Rent(input.Width, input.Height, PixelFormat.Gray8);
                GrayscaleBlock.GrayInto(input, gray);
            }

            using var source = FrameMats.Wrap(gray ?? input, 0);
            using var destination = FrameMats.Wrap(output, 0);
            Cv2.Canny(source, destination, Options.Threshold1, Options.Threshold2, Options.Aperture);
            FrameMats.EnsureWrittenInPlace(destination, output, 0);
            output.CopyMetadataFrom(input);
            return ValueTask.FromResult<VideoFrame?>(output);
        }
        catch
        {
            output.Release();
            throw;
        }
        finally
        {
            gray?.Release();
        }
    }
}
