using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks;

/// <summary>How <see cref="ResizeBlock"/> computes new pixels.</summary>
public enum Interpolation
{
    /// <summary>Nearest neighbour: fastest, blocky.</summary>
    Nearest,

    /// <summary>Bilinear: the usual trade-off.</summary>
    Linear,

    /// <summary>Bicubic: sharper when enlarging.</summary>
    Cubic,

    /// <summary>Pixel-area averaging: the best choice for shrinking (no aliasing).</summary>
    Area,
}

/// <summary>Options of <see cref="ResizeBlock"/>.</summary>
public sealed class ResizeOptions
{
    /// <summary>Output width in pixels.</summary>
    [Description("Output width in pixels.")]
    [Range(1, 16384)]
    public required int Width { get; init; }

    /// <summary>Output height in pixels.</summary>
    [Description("Output height in pixels.")]
    [Range(1, 16384)]
    public required int Height { get; init; }

    /// <summary>Interpolation method.</summary>
    [Description("Interpolation: nearest, linear, cubic or area (best for shrinking).")]
    public Interpolation Interpolation { get; init; } = Interpolation.Linear;
}

/// <summary>Scales frames to a fixed size with OpenCV; planar formats are scaled plane by plane.</summary>
[Block(TypeName, Description = "Scales frames to a fixed width and height (bgr24, rgb24, gray8, i420, nv12).", ThreadSafe = true)]
public sealed class ResizeBlock(ResizeOptions options) : TransformBlock<VideoFrame, VideoFrame, ResizeOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "resize";

    /// <inheritdoc />
    protected override ValueTask<VideoFrame?> TransformAsync(VideoFrame input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        PixelFormatGuard.Require(this, TypeName, input.Format, PixelFormatGuard.PackedAndPlanar);
        var output = Context.FramePool.Rent(Options.Width, Options.Height, input.Format);
        try
        {
            var flags = ToOpenCv(Options.Interpolation);
            for (var plane = 0; plane < input.PlaneCount; plane++)
            {
                using var source = FrameMats.Wrap(input, plane);
                using var destination = FrameMats.Wrap(output, plane);
                Cv2.Resize(source, destination, new Size(destination.Cols, destination.Rows), 0, 0, flags);
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

    internal static InterpolationFlags ToOpenCv(Interpolation interpolation) => interpolation switch
    {
        Interpolation.Nearest => InterpolationFlags.Nearest,
        Interpolation.Linear => InterpolationFlags.Linear,
        Interpolation.Cubic => InterpolationFlags.Cubic,
        Interpolation.Area => InterpolationFlags.Area,
        _ => throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, "unknown interpolation"),
    };
}
