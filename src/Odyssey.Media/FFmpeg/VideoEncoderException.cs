namespace Odyssey.Media.FFmpeg;

/// <summary>
/// FFmpeg refused to open or run an encoder. Carries the codec, the encoder's FFmpeg name, the picture size
/// and FFmpeg's error code, so callers can tell a bad setting from a broken library.
/// </summary>
public sealed class VideoEncoderException : Exception
{
    /// <summary>Creates the exception; <paramref name="message"/> already names codec and size.</summary>
    public VideoEncoderException(VideoCodec codec, string encoderName, int width, int height, int errorCode, string message)
        : base(message)
    {
        Codec = codec;
        EncoderName = encoderName;
        Width = width;
        Height = height;
        ErrorCode = errorCode;
    }

    /// <summary>The codec being encoded.</summary>
    public VideoCodec Codec { get; }

    /// <summary>FFmpeg's name of the encoder, e.g. libx264.</summary>
    public string EncoderName { get; }

    /// <summary>Picture width the encoder was opened for.</summary>
    public int Width { get; }

    /// <summary>Picture height the encoder was opened for.</summary>
    public int Height { get; }

    /// <summary>FFmpeg's (negative) AVERROR code.</summary>
    public int ErrorCode { get; }
}
