namespace Odyssey.Media;

/// <summary>YCbCr → RGB matrix coefficients.</summary>
public enum YuvMatrix
{
    /// <summary>ITU-R BT.601 (SD video, most webcams, libx264's default when unsignalled).</summary>
    Bt601,

    /// <summary>ITU-R BT.709 (HD video).</summary>
    Bt709,
}

/// <summary>
/// Converts frames between pixel formats. YUV (I420, NV12) is limited ("TV") range; GRAY8 is full-range
/// grey, as OpenCV means it. Stride-aware, allocation-free, single-threaded: callers parallelise across
/// frames, not inside one. I420/NV12 → BGR24/RGB24 is vectorised (AVX2, SSSE3, Arm NEON or portable
/// 128-bit vectors).
/// </summary>
public static class PixelConverter
{
    /// <summary>
    /// Converts <paramref name="source"/> into <paramref name="destination"/>, which must have the same size.
    /// Also copies <see cref="VideoFrame.Index"/>, <see cref="VideoFrame.Pts"/> and <see cref="VideoFrame.CaptureTime"/>.
    /// <paramref name="matrix"/> matters only when converting between YUV or grey and RGB.
    /// </summary>
    /// <exception cref="ArgumentException">The sizes differ; the message names both frames' shapes.</exception>
    public static void Convert(VideoFrame source, VideoFrame destination, YuvMatrix matrix = YuvMatrix.Bt601)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (source.Width != destination.Width || source.Height != destination.Height)
        {
            throw new ArgumentException(
                $"cannot convert a {source.Width}x{source.Height} {source.Format} frame into a {destination.Width}x{destination.Height} {destination.Format} frame: the sizes differ",
                nameof(destination));
        }

        var coefficients = YuvCoefficients.For(matrix);
        switch (source.Format, destination.Format)
        {
            case var (from, to) when from == to:
                LayoutConversions.Copy(source, destination);
                break;
            case (PixelFormat.I420 or PixelFormat.Nv12, PixelFormat.Bgr24 or PixelFormat.Rgb24):
                YuvToRgb.Convert(source, destination, coefficients);
                break;
            case (PixelFormat.I420 or PixelFormat.Nv12, PixelFormat.Gray8):
                LayoutConversions.LumaToGray(source, destination);
                break;
            case (PixelFormat.I420, PixelFormat.Nv12):
                LayoutConversions.I420ToNv12(source, destination);
                break;
            case (PixelFormat.Nv12, PixelFormat.I420):
                LayoutConversions.Nv12ToI420(source, destination);
                break;
            case (PixelFormat.Bgr24 or PixelFormat.Rgb24, PixelFormat.I420 or PixelFormat.Nv12):
                RgbToYuv.ToYuv420(source, destination, coefficients);
                break;
            case (PixelFormat.Bgr24 or PixelFormat.Rgb24, PixelFormat.Gray8):
                RgbToYuv.ToGray(source, destination, coefficients);
                break;
            case (PixelFormat.Bgr24 or PixelFormat.Rgb24, PixelFormat.Bgr24 or PixelFormat.Rgb24):
                LayoutConversions.SwapRedBlue(source, destination);
                break;
            case (PixelFormat.Gray8, PixelFormat.Bgr24 or PixelFormat.Rgb24):
                LayoutConversions.GrayToPacked(source, destination);
                break;
            case (PixelFormat.Gray8, PixelFormat.I420 or PixelFormat.Nv12):
                LayoutConversions.GrayToYuv420(source, destination);
                break;
            default:
                throw new ArgumentException($"no conversion from {source.Format} to {destination.Format}", nameof(destination));
        }

        destination.CopyMetadataFrom(source);
    }
}
