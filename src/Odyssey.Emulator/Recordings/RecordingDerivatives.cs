using Odyssey.Media;
using Odyssey.Media.Containers;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Emulator.Recordings;

/// <summary>
/// What PROTOCOL.md §7 calls <c>thumbnail_url</c> (a JPEG) and <c>preview_url</c> (a short MP4), made from a
/// finished recording: the thumbnail is its first picture, the preview its first seconds at half size,
/// re-encoded as H.264 whatever the stream's codec (a preview is for any player).
/// </summary>
internal static class RecordingDerivatives
{
    /// <summary>How much of the stream the preview shows: enough to see the scene and a prompt or two.</summary>
    public static readonly TimeSpan PreviewLength = TimeSpan.FromSeconds(5);

    /// <summary>Preview bit rate: a quarter of the pixels of the stream needs far less than its rate.</summary>
    private const int PreviewBitrateKbps = 400;

    /// <summary>Fallback frame rate when the container states none.</summary>
    private const double DefaultFps = 30;

    /// <summary>Writes <c>&lt;id&gt;.jpg</c> and <c>&lt;id&gt;.preview.mp4</c> beside the video; returns their paths (null: no picture decoded).</summary>
    public static (string? Thumbnail, string? Preview) Create(string videoPath, string directory, string streamId, EncodedPacketPool packets)
    {
        var frames = new VideoFramePool(retainedPerShape: 2);
        var thumbnailPath = Path.Combine(directory, streamId + ".jpg");
        var previewPath = Path.Combine(directory, streamId + ".preview.mp4");
        using var reader = new MediaFileReader(videoPath, packets);
        using var decoder = new VideoDecoder(reader.Codec, frames);
        var fps = reader.FrameRate > 0 ? reader.FrameRate : DefaultFps;
        var width = Math.Max(2, reader.Width / 2 / 2 * 2);
        var height = Math.Max(2, reader.Height / 2 / 2 * 2);
        using var scaler = new FrameScaler(ScaleAlgorithm.Area);
        using var encoder = new VideoEncoder(new VideoEncoderSettings(VideoCodec.H264, width, height) { Fps = fps, BitrateKbps = PreviewBitrateKbps }, packets);
        using var writer = new MediaFileWriter(previewPath, new VideoStreamInfo(VideoCodec.H264, width, height) { FrameRate = fps });
        var small = frames.Rent(width, height, PixelFormat.I420);
        string? thumbnail = null;
        TimeSpan? first = null;
        try
        {
            var done = false;
            while (!done && reader.TryRead(out var packet))
            {
                try
                {
                    decoder.Send(packet);
                }
                finally
                {
                    packet.Release();
                }

                while (decoder.TryReceive(out var picture))
                {
                    try
                    {
                        first ??= picture.Pts;
                        thumbnail ??= WriteThumbnail(picture, frames, thumbnailPath);
                        if (picture.Pts - first.Value >= PreviewLength)
                        {
                            done = true;
                            continue;
                        }

                        scaler.Scale(picture, small);
                        encoder.Send(small);
                        Drain(encoder, writer);
                    }
                    finally
                    {
                        picture.Release();
                    }
                }
            }

            encoder.SendEndOfStream();
            Drain(encoder, writer);
        }
        finally
        {
            small.Release();
        }

        return (thumbnail, writer.Complete() ? previewPath : null);
    }

    private static string WriteThumbnail(VideoFrame picture, VideoFramePool frames, string path)
    {
        var rgb = frames.Rent(picture.Width, picture.Height, PixelFormat.Rgb24);
        try
        {
            PixelConverter.Convert(picture, rgb);
            File.WriteAllBytes(path, StillImage.EncodeJpeg(rgb));
            return path;
        }
        finally
        {
            rgb.Release();
        }
    }

    private static void Drain(VideoEncoder encoder, MediaFileWriter writer)
    {
        while (encoder.TryReceive(out var packet))
        {
            try
            {
                writer.Write(packet);
            }
            finally
            {
                packet.Release();
            }
        }
    }
}
