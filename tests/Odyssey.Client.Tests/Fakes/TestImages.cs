using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Client.Tests.Fakes;

/// <summary>Real images for stream starts: the client decodes and re-encodes an image before sending it (§5).</summary>
internal static class TestImages
{
    /// <summary>A mid-grey JPEG of the given size.</summary>
    public static byte[] GreyJpeg(int width, int height)
    {
        var picture = VideoFramePool.Shared.Rent(width, height, PixelFormat.Rgb24);
        try
        {
            picture.GetPlane(0).Fill(128);
            return StillImage.EncodeJpeg(picture);
        }
        finally
        {
            picture.Release();
        }
    }
}
