using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="ScaleBlock"/>.</summary>
public sealed class ScaleOptions
{
    /// <summary>Output width; 0 keeps the aspect ratio from <see cref="Height"/>.</summary>
    [Description("Output width in pixels; 0 keeps the input's aspect ratio (computed sides are rounded to even for i420/nv12).")]
    [Range(0, 16384)]
    public int Width { get; init; }

    /// <summary>Output height; 0 keeps the aspect ratio from <see cref="Width"/>.</summary>
    [Description("Output height in pixels; 0 keeps the input's aspect ratio (both 0: the input's size).")]
    [Range(0, 16384)]
    public int Height { get; init; }

    /// <summary>Output pixel format; null keeps the input's.</summary>
    [Description("Pixel format of the output (i420, nv12, bgr24, rgb24, gray8); default: the input's format.")]
    public PixelFormat? Format { get; init; }

    /// <summary>Scaling algorithm.</summary>
    [Description("libswscale algorithm: point, bilinear, bicubic (ffmpeg's default), area or lanczos.")]
    public ScaleAlgorithm Algorithm { get; init; } = ScaleAlgorithm.Bicubic;
}

/// <summary>
/// Resizes and converts frames in one pass with FFmpeg's libswscale (the scaler the ffmpeg CLI uses);
/// a frame already at the requested size and format passes through untouched.
/// </summary>
/// <remarks>
/// Not thread-safe: one libswscale context, rebuilt when the input shape changes. Completion and failure
/// are the engine's (a transform); the scaler is freed on dispose.
/// </remarks>
[Block(TypeName, Description = "Resizes and converts frames with libswscale (0 for width or height keeps the aspect ratio).")]
public sealed class ScaleBlock(ScaleOptions options) : TransformBlock<VideoFrame, VideoFrame, ScaleOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "scale";

    private FrameScaler? _scaler;

    /// <inheritdoc />
    protected override ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _scaler = new FrameScaler(Options.Algorithm);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask<VideoFrame?> TransformAsync(VideoFrame input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var scaler = _scaler ?? throw new InvalidOperationException($"block '{Name}' ({TypeName}) has not been started");
        var format = Options.Format ?? input.Format;
        var (width, height) = FrameScaler.TargetSize(input.Width, input.Height, Options.Width, Options.Height, format);
        if (width == input.Width && height == input.Height && format == input.Format)
        {
            input.AddRef();
            return ValueTask.FromResult<VideoFrame?>(input);
        }

        var output = Context.FramePool.Rent(width, height, format);
        try
        {
            scaler.Scale(input, output);
            return ValueTask.FromResult<VideoFrame?>(output);
        }
        catch
        {
            output.Release();
            throw;
        }
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        _scaler?.Dispose();
        _scaler = null;
        return base.DisposeAsync();
    }
}
