using Odyssey.Media.FFmpeg.Native;

namespace Odyssey.Media.FFmpeg;

/// <summary>How <see cref="FrameScaler"/> computes new pixels (libswscale's algorithms).</summary>
public enum ScaleAlgorithm
{
    /// <summary>Nearest neighbour: fastest, blocky.</summary>
    Point,

    /// <summary>Bilinear.</summary>
    Bilinear,

    /// <summary>Bicubic: the ffmpeg CLI's default.</summary>
    Bicubic,

    /// <summary>Pixel-area averaging: good for shrinking.</summary>
    Area,

    /// <summary>Lanczos: sharpest, slowest.</summary>
    Lanczos,
}

/// <summary>
/// Resizes and converts frames between any two <see cref="PixelFormat"/>s in one pass with libswscale.
/// Not thread-safe: it keeps one libswscale context, rebuilt only when the shapes change. YUV is
/// BT.601 limited range and GRAY8 full range, as in <see cref="PixelConverter"/>.
/// </summary>
public sealed class FrameScaler : IDisposable
{
    private readonly int[] _nativeFormats = new int[5];
    private readonly int _flags;
    private nint _context;
    private bool _disposed;

    /// <summary>Creates a scaler using <paramref name="algorithm"/>.</summary>
    public FrameScaler(ScaleAlgorithm algorithm = ScaleAlgorithm.Bicubic)
    {
        FFmpegRuntime.EnsureAvailable();
        Algorithm = algorithm;
        _flags = algorithm switch
        {
            ScaleAlgorithm.Point => SwScale.Point,
            ScaleAlgorithm.Bilinear => SwScale.Bilinear,
            ScaleAlgorithm.Bicubic => SwScale.Bicubic,
            ScaleAlgorithm.Area => SwScale.Area,
            ScaleAlgorithm.Lanczos => SwScale.Lanczos,
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown scale algorithm"),
        };

        // Looked up by name, as elsewhere: the AVPixelFormat numbers are ABI details.
        _nativeFormats[(int)PixelFormat.I420] = AvUtil.GetPixelFormat("yuv420p");
        _nativeFormats[(int)PixelFormat.Nv12] = AvUtil.GetPixelFormat("nv12");
        _nativeFormats[(int)PixelFormat.Bgr24] = AvUtil.GetPixelFormat("bgr24");
        _nativeFormats[(int)PixelFormat.Rgb24] = AvUtil.GetPixelFormat("rgb24");
        _nativeFormats[(int)PixelFormat.Gray8] = AvUtil.GetPixelFormat("gray");
    }

    /// <summary>The algorithm this scaler uses.</summary>
    public ScaleAlgorithm Algorithm { get; }

    /// <summary>
    /// Scales and converts <paramref name="source"/> into <paramref name="destination"/> (any sizes and
    /// formats), and copies index and timestamps. Allocates nothing once the context for a pair of shapes exists.
    /// </summary>
    /// <exception cref="InvalidOperationException">libswscale refused the pair of shapes; the message names both.</exception>
    public unsafe void Scale(VideoFrame source, VideoFrame destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _context = SwScale.GetCachedContext(
            _context,
            source.Width,
            source.Height,
            _nativeFormats[(int)source.Format],
            destination.Width,
            destination.Height,
            _nativeFormats[(int)destination.Format],
            _flags,
            0,
            0,
            null);
        if (_context == 0)
        {
            throw new InvalidOperationException($"libswscale cannot scale a {Describe(source)} frame to {Describe(destination)} with {Algorithm}");
        }

        var sourcePlanes = stackalloc byte*[4];
        var sourceStrides = stackalloc int[4];
        var targetPlanes = stackalloc byte*[4];
        var targetStrides = stackalloc int[4];
        Planes(source, sourcePlanes, sourceStrides);
        Planes(destination, targetPlanes, targetStrides);
        var rows = SwScale.Scale(_context, sourcePlanes, sourceStrides, 0, source.Height, targetPlanes, targetStrides);
        if (rows <= 0)
        {
            throw new InvalidOperationException($"libswscale failed to scale a {Describe(source)} frame to {Describe(destination)} ({AvUtil.ErrorText(rows)})");
        }

        destination.CopyMetadataFrom(source);
    }

    /// <summary>
    /// The output size for a request where 0 means "keep the aspect ratio" (both 0: the input size).
    /// A computed side is rounded to an even number for 4:2:0 formats, whose chroma (and H.264) needs it.
    /// </summary>
    public static (int Width, int Height) TargetSize(int sourceWidth, int sourceHeight, int width, int height, PixelFormat format)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceHeight);
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        var even = format is PixelFormat.I420 or PixelFormat.Nv12;
        return (width, height) switch
        {
            (0, 0) => (sourceWidth, sourceHeight),
            (0, _) => (Side((double)sourceWidth * height / sourceHeight, even), height),
            (_, 0) => (width, Side((double)sourceHeight * width / sourceWidth, even)),
            _ => (width, height),
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_context != 0)
        {
            SwScale.FreeContext(_context);
            _context = 0;
        }

        _disposed = true;
    }

    private static int Side(double exact, bool even)
    {
        var side = even ? 2 * (int)Math.Round(exact / 2, MidpointRounding.AwayFromZero) : (int)Math.Round(exact, MidpointRounding.AwayFromZero);
        return Math.Max(side, even ? 2 : 1);
    }

    private static string Describe(VideoFrame frame) => $"{frame.Width}x{frame.Height} {frame.Format}";

    private static unsafe void Planes(VideoFrame frame, byte** planes, int* strides)
    {
        for (var plane = 0; plane < 4; plane++)
        {
            var present = plane < frame.PlaneCount;
            planes[plane] = present ? (byte*)frame.GetPlanePointer(plane) : null;
            strides[plane] = present ? frame.GetStride(plane) : 0;
        }
    }
}
