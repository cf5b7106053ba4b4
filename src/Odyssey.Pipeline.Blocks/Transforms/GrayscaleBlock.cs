using System.ComponentModel;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="GrayscaleBlock"/> (none).</summary>
public sealed class GrayscaleOptions
{
}

/// <summary>Turns BGR24/RGB24 frames into GRAY8 with OpenCV's BT.601 weights; GRAY8 frames pass through.</summary>
[Block(TypeName, Description = "Converts bgr24/rgb24 frames to gray8 (gray8 passes through).", ThreadSafe = true)]
public sealed class GrayscaleBlock(GrayscaleOptions options) : TransformBlock<VideoFrame, VideoFrame, GrayscaleOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "grayscale";

    /// <inheritdoc />
    protected override ValueTask<VideoFrame?> TransformAsync(VideoFrame input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        PixelFormatGuard.Require(this, TypeName, input.Format, PixelFormatGuard.Packed);
        if (input.Format == PixelFormat.Gray8)
        {
            input.AddRef();
            return ValueTask.FromResult<VideoFrame?>(input);
        }

        var output = Context.FramePool.Rent(input.Width, input.Height, PixelFormat.Gray8);
        try
        {
            GrayInto(input, output);
            output.CopyMetadataFrom(input);
            return ValueTask.FromResult<VideoFrame?>(output);
        }
        catch
        {
            output.Release();
            throw;
        }
    }

    /// <summary>Writes the grey of a BGR24 or RGB24 <paramref name="input"/> into GRAY8 <paramref name="output"/> of the same size.</summary>
    internal static void GrayInto(VideoFrame input, VideoFrame output)
    {
        using var source = FrameMats.Wrap(input, 0);
        using var destination = FrameMats.Wrap(output, 0);
        Cv2.CvtColor(source, destination, input.Format == PixelFormat.Rgb24 ? ColorConversionCodes.RGB2GRAY : ColorConversionCodes.BGR2GRAY);
        FrameMats.EnsureWrittenInPlace(destination, output, 0);
    }
}
