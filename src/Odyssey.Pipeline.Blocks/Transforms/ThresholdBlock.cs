using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Threshold rules of <see cref="ThresholdBlock"/> (OpenCV's names).</summary>
public enum ThresholdKind
{
    /// <summary>maxValue above the threshold, else 0.</summary>
    Binary,

    /// <summary>0 above the threshold, else maxValue.</summary>
    BinaryInv,

    /// <summary>The threshold above it, else unchanged.</summary>
    Trunc,

    /// <summary>Unchanged above the threshold, else 0.</summary>
    ToZero,

    /// <summary>0 above the threshold, else unchanged.</summary>
    ToZeroInv,

    /// <summary>Binary with the threshold chosen per frame (and per channel) by Otsu's method; value is ignored.</summary>
    Otsu,
}

/// <summary>Options of <see cref="ThresholdBlock"/>.</summary>
public sealed class ThresholdOptions
{
    /// <summary>The threshold (ignored by otsu).</summary>
    [Description("The threshold, 0..255 (ignored by otsu).")]
    [Range(0.0, 255.0)]
    public double Value { get; init; } = 128;

    /// <summary>Value written by binary, binary-inv and otsu.</summary>
    [Description("Value written by binary, binary-inv and otsu.")]
    [Range(0.0, 255.0)]
    public double MaxValue { get; init; } = 255;

    /// <summary>The rule.</summary>
    [Description("Rule: binary, binary-inv, trunc, to-zero, to-zero-inv or otsu.")]
    public ThresholdKind Type { get; init; } = ThresholdKind.Binary;
}

/// <summary>Fixed or Otsu thresholding with OpenCV; colour frames are thresholded per channel.</summary>
[Block(TypeName, Description = "Thresholds pixel values (gray8; bgr24/rgb24 per channel).", ThreadSafe = true)]
public sealed class ThresholdBlock(ThresholdOptions options) : TransformBlock<VideoFrame, VideoFrame, ThresholdOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "threshold";

    private const int PackedChannels = 3;

    /// <inheritdoc />
    protected override ValueTask<VideoFrame?> TransformAsync(VideoFrame input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        PixelFormatGuard.Require(this, TypeName, input.Format, PixelFormatGuard.Packed);
        var pool = Context.FramePool;
        var output = pool.Rent(input.Width, input.Height, input.Format);
        try
        {
            using var source = FrameMats.Wrap(input, 0);
            using var destination = FrameMats.Wrap(output, 0);
            if (Options.Type != ThresholdKind.Otsu || input.Format == PixelFormat.Gray8)
            {
                Cv2.Threshold(source, destination, Options.Value, Options.MaxValue, ToOpenCv(Options.Type));
            }
            else
            {
                OtsuPerChannel(pool, input, source, destination);
            }

            FrameMats.EnsureWrittenInPlace(destination, output, 0);
            output.CopyMetadataFrom(input);
            return ValueTask.FromResult<VideoFrame?>(output);
        }
        catch
        {
            output.Release();
            throw;
        }
    }

    internal static ThresholdTypes ToOpenCv(ThresholdKind kind) => kind switch
    {
        ThresholdKind.Binary => ThresholdTypes.Binary,
        ThresholdKind.BinaryInv => ThresholdTypes.BinaryInv,
        ThresholdKind.Trunc => ThresholdTypes.Trunc,
        ThresholdKind.ToZero => ThresholdTypes.Tozero,
        ThresholdKind.ToZeroInv => ThresholdTypes.TozeroInv,
        ThresholdKind.Otsu => ThresholdTypes.Binary | ThresholdTypes.Otsu,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown threshold type"),
    };

    /// <summary>OpenCV's Otsu takes one channel only, so each channel goes through pooled grey scratch frames.</summary>
    private void OtsuPerChannel(VideoFramePool pool, VideoFrame input, Mat source, Mat destination)
    {
        var channel = pool.Rent(input.Width, input.Height, PixelFormat.Gray8);
        var result = pool.Rent(input.Width, input.Height, PixelFormat.Gray8);
        try
        {
            using var channelMat = FrameMats.Wrap(channel, 0);
            using var resultMat = FrameMats.Wrap(result, 0);
            for (var c = 0; c < PackedChannels; c++)
            {
                Cv2.ExtractChannel(source, channelMat, c);
                Cv2.Threshold(channelMat, resultMat, 0, Options.MaxValue, ThresholdTypes.Binary | ThresholdTypes.Otsu);
                Cv2.InsertChannel(resultMat, destination, c);
            }
        }
        finally
        {
            result.Release();
            channel.Release();
        }
    }
}
