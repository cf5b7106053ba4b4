using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// Views of frame planes as OpenCV <see cref="Mat"/> headers over the frame's own pinned memory, so
/// OpenCV reads and writes frames without copying. The header is a small native object: dispose it.
/// </summary>
internal static class FrameMats
{
    /// <summary>A Mat over <paramref name="plane"/> of <paramref name="frame"/>; valid while the caller holds a reference.</summary>
    public static Mat Wrap(VideoFrame frame, int plane)
    {
        var format = frame.Format;
        var rows = PixelFormats.PlaneHeight(format, plane, frame.Height);
        var channels = Channels(format, plane);
        var columns = PixelFormats.RowBytes(format, plane, frame.Width) / channels;
        return Mat.FromPixelData(rows, columns, MatType.CV_8UC(channels), frame.GetPlanePointer(plane), frame.GetStride(plane));
    }

    /// <summary>
    /// Throws when OpenCV replaced <paramref name="destination"/>'s buffer (it does so silently when a
    /// destination's size or type does not match), which would leave the frame unwritten.
    /// </summary>
    public static void EnsureWrittenInPlace(Mat destination, VideoFrame frame, int plane)
    {
        if (destination.Data != frame.GetPlanePointer(plane))
        {
            throw new InvalidOperationException($"OpenCV reallocated the destination of plane {plane} ({frame.Width}x{frame.Height} {frame.Format}); the frame was not written");
        }
    }

    /// <summary>Interleaved channels of one plane: 3 for packed RGB, 2 for NV12's UV plane, else 1.</summary>
    public static int Channels(PixelFormat format, int plane) => (format, plane) switch
    {
        (PixelFormat.Bgr24 or PixelFormat.Rgb24, 0) => 3,
        (PixelFormat.Nv12, 1) => 2,
        _ => 1,
    };
}
