using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// Luma (BT.601 weights 0.299, 0.587, 0.114) of any frame: plane 0 of GRAY8/I420/NV12 as is; packed
/// RGB converted once per frame by OpenCV, which vectorises the weighting.
/// </summary>
internal static class Luma
{
    /// <summary>
    /// For packed RGB input, a pooled GRAY8 frame holding its luma (the caller releases it); null when
    /// plane 0 of <paramref name="frame"/> already is luma.
    /// </summary>
    public static VideoFrame? ConvertIfPacked(VideoFrame frame, VideoFramePool pool)
    {
        if (frame.Format is not (PixelFormat.Bgr24 or PixelFormat.Rgb24))
        {
            return null;
        }

        var gray = pool.Rent(frame.Width, frame.Height, PixelFormat.Gray8);
        try
        {
            GrayscaleBlock.GrayInto(frame, gray);
            gray.CopyMetadataFrom(frame);
            return gray;
        }
        catch
        {
            gray.Release();
            throw;
        }
    }
}
