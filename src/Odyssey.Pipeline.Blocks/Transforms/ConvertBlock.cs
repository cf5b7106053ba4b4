using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="ConvertBlock"/>.</summary>
public sealed class ConvertOptions
{
    /// <summary>Pixel format of the output frames.</summary>
    [Description("Pixel format of the output frames (i420, nv12, bgr24, rgb24, gray8).")]
    [Required]
    public required PixelFormat Format { get; init; }

    /// <summary>YCbCr matrix used when converting to or from I420/NV12.</summary>
    [Description("YCbCr matrix for conversions to or from i420/nv12: bt601 (SD, webcams) or bt709 (HD).")]
    public YuvMatrix Matrix { get; init; } = YuvMatrix.Bt601;
}

/// <summary>Converts frames to another pixel format; frames already in it pass through untouched.</summary>
[Block(TypeName, Description = "Converts frames to another pixel format (i420, nv12, bgr24, rgb24, gray8).", ThreadSafe = true)]
public sealed class ConvertBlock(ConvertOptions options) : TransformBlock<VideoFrame, VideoFrame, ConvertOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "convert";

    /// <inheritdoc />
    protected override ValueTask<VideoFrame?> TransformAsync(VideoFrame input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Format == Options.Format)
        {
            input.AddRef();
            return ValueTask.FromResult<VideoFrame?>(input);
        }

        var output = Context.FramePool.Rent(input.Width, input.Height, Options.Format);
        try
        {
            PixelConverter.Convert(input, output, Options.Matrix);
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
