using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="GaussianBlurBlock"/>.</summary>
public sealed class GaussianBlurOptions : IValidatableObject
{
    /// <summary>Kernel width and height in pixels; odd.</summary>
    [Description("Kernel width and height in pixels; must be odd (1 leaves the frame unchanged).")]
    [Range(1, 99)]
    public int Kernel { get; init; } = 5;

    /// <summary>Standard deviation in pixels; 0 derives it from the kernel size.</summary>
    [Description("Standard deviation in pixels; 0 derives it from the kernel size.")]
    [Range(0.0, 1000.0)]
    public double Sigma { get; init; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Kernel % 2 == 0)
        {
            yield return new ValidationResult($"kernel must be odd, got {Kernel}", ["kernel"]);
        }
    }
}

/// <summary>Gaussian blur with OpenCV; planar formats are blurred plane by plane.</summary>
/// <remarks>
/// The 4:2:0 chroma planes have half the resolution, so they get about half the kernel and sigma:
/// the blur then covers the same area of the picture in every plane.
/// </remarks>
[Block(TypeName, Description = "Gaussian blur (bgr24, rgb24, gray8, i420, nv12).", ThreadSafe = true)]
public sealed class GaussianBlurBlock(GaussianBlurOptions options) : TransformBlock<VideoFrame, VideoFrame, GaussianBlurOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "gaussianBlur";

    /// <inheritdoc />
    protected override ValueTask<VideoFrame?> TransformAsync(VideoFrame input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        PixelFormatGuard.Require(this, TypeName, input.Format, PixelFormatGuard.PackedAndPlanar);
        var output = Context.FramePool.Rent(input.Width, input.Height, input.Format);
        try
        {
            for (var plane = 0; plane < input.PlaneCount; plane++)
            {
                var chroma = plane > 0;
                var kernel = chroma ? (Options.Kernel / 2) | 1 : Options.Kernel;
                var sigma = chroma ? Options.Sigma / 2 : Options.Sigma;
                using var source = FrameMats.Wrap(input, plane);
                using var destination = FrameMats.Wrap(output, plane);
                Cv2.GaussianBlur(source, destination, new Size(kernel, kernel), sigma);
                FrameMats.EnsureWrittenInPlace(destination, output, plane);
            }

            output.CopyMetadataFrom(input);
            return ValueTask.FromResult<VideoFrame?>(output);
        }
        catch
        {
            output.Release();
            throw;
        }
    }
}
