namespace Odyssey.Media;

/// <summary>YCbCr → RGB matrix coefficients.</summary>
public enum YuvMatrix
{
    /// <summary>ITU-R BT.601 (SD video, most webcams, libx264's default when unsignalled).</summary>
    Bt601,

    /// <summary>ITU-R BT.709 (HD video).</summary>
    Bt709,
}

/// <summary>Converts frames between pixel formats. YUV uses limited ("TV") range.</summary>
public static class PixelConverter
{
    /// <summary>Converts <paramref name="source"/> into <paramref name="destination"/>, which must have the same size.</summary>
    public static void Convert(VideoFrame source, VideoFrame destination, YuvMatrix matrix = YuvMatrix.Bt601) =>
        throw new NotImplementedException();
}
