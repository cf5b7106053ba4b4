namespace Odyssey.Media;

/// <summary>Pixel layouts a <see cref="VideoFrame"/> can hold.</summary>
public enum PixelFormat
{
    /// <summary>Planar Y, U, V; chroma halved both ways (4:2:0).</summary>
    I420,

    /// <summary>Planar Y and interleaved UV; chroma halved both ways (4:2:0).</summary>
    Nv12,

    /// <summary>Packed 8-bit blue, green, red (OpenCV's default order).</summary>
    Bgr24,

    /// <summary>Packed 8-bit red, green, blue.</summary>
    Rgb24,

    /// <summary>
    /// One 8-bit full-range grey plane (0 black, 255 white), what OpenCV calls GRAY. Converting from
    /// I420/NV12 stretches their limited-range luma; converting to them squeezes it back.
    /// </summary>
    Gray8,
}

/// <summary>Geometry of each pixel format: planes, their sizes and bytes per pixel.</summary>
public static class PixelFormats
{
    /// <summary>Number of planes the format stores.</summary>
    public static int PlaneCount(PixelFormat format) => format switch
    {
        PixelFormat.I420 => 3,
        PixelFormat.Nv12 => 2,
        PixelFormat.Bgr24 or PixelFormat.Rgb24 or PixelFormat.Gray8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown pixel format"),
    };

    /// <summary>Bytes of pixel data in one row of <paramref name="plane"/> (without stride padding).</summary>
    public static int RowBytes(PixelFormat format, int plane, int width) => (format, plane) switch
    {
        (PixelFormat.I420, 0) or (PixelFormat.Nv12, 0) or (PixelFormat.Gray8, 0) => width,
        (PixelFormat.I420, 1 or 2) => (width + 1) / 2,
        (PixelFormat.Nv12, 1) => (width + 1) / 2 * 2,
        (PixelFormat.Bgr24, 0) or (PixelFormat.Rgb24, 0) => width * 3,
        _ => throw new ArgumentOutOfRangeException(nameof(plane), plane, $"{format} has no plane {plane}"),
    };

    /// <summary>Rows in <paramref name="plane"/>.</summary>
    public static int PlaneHeight(PixelFormat format, int plane, int height) => (format, plane) switch
    {
        (PixelFormat.I420, 1 or 2) or (PixelFormat.Nv12, 1) => (height + 1) / 2,
        _ => height,
    };

    /// <summary>Parses the names used in pipeline files ("i420", "nv12", "bgr24", "rgb24", "gray8").</summary>
    public static bool TryParse(string? name, out PixelFormat format) =>
        Enum.TryParse(name, ignoreCase: true, out format) && Enum.IsDefined(format);
}
