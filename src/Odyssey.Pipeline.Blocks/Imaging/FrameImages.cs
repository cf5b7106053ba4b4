using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// Turns frames of any pixel format into BGR images OpenCV can show or encode (PNG stills, JPEG previews,
/// report thumbnails, the display window): one place for the format cases.
/// </summary>
internal sealed class FrameImages : IDisposable
{
    private Mat? _converted;
    private Mat? _scaled;

    /// <summary>
    /// A Mat of <paramref name="frame"/> as BGR (or GRAY8 as is): GRAY8/BGR24 wrapped, RGB24 swapped,
    /// YUV converted into a frame rented from <paramref name="pool"/> and returned in <paramref name="rented"/>
    /// (release it after the Mat is used). Dispose the Mat; it stays valid until the next call.
    /// </summary>
    public Mat ToBgr(VideoFrame frame, VideoFramePool pool, ref VideoFrame? rented)
    {
        ArgumentNullException.ThrowIfNull(frame);
        switch (frame.Format)
        {
            case PixelFormat.Gray8 or PixelFormat.Bgr24:
                return FrameMats.Wrap(frame, 0);
            case PixelFormat.Rgb24:
                _converted ??= new Mat();
                using (var rgb = FrameMats.Wrap(frame, 0))
                {
                    Cv2.CvtColor(rgb, _converted, ColorConversionCodes.RGB2BGR);
                }

                // A second header over the same data, so the caller may dispose what it gets.
                return new Mat(_converted, new Rect(0, 0, _converted.Cols, _converted.Rows));
            default:
                rented = pool.Rent(frame.Width, frame.Height, PixelFormat.Bgr24);
                PixelConverter.Convert(frame, rented);
                return FrameMats.Wrap(rented, 0);
        }
    }

    /// <summary>
    /// JPEG bytes of <paramref name="frame"/>, scaled down (never up) to at most <paramref name="maxWidth"/>
    /// pixels wide. Allocates the returned array: callers encode at a capped rate, not per frame.
    /// </summary>
    public byte[] EncodeJpeg(VideoFrame frame, VideoFramePool pool, int maxWidth, int quality)
    {
        VideoFrame? rented = null;
        try
        {
            using var image = ToBgr(frame, pool, ref rented);
            var source = image;
            if (maxWidth > 0 && image.Cols > maxWidth)
            {
                _scaled ??= new Mat();
                var height = Math.Max(1, (int)Math.Round(image.Rows * (double)maxWidth / image.Cols));
                Cv2.Resize(image, _scaled, new Size(maxWidth, height), interpolation: InterpolationFlags.Area);
                source = _scaled;
            }

            return source.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, quality));
        }
        finally
        {
            rented?.Release();
        }
    }

    public void Dispose()
    {
        _converted?.Dispose();
        _converted = null;
        _scaled?.Dispose();
        _scaled = null;
    }
}
