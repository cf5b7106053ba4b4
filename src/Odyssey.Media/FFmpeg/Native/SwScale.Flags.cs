namespace Odyssey.Media.FFmpeg.Native;

/// <summary>libswscale's algorithm flags (swscale.h), for <see cref="FrameScaler"/>.</summary>
internal static partial class SwScale
{
    /// <summary>SWS_BILINEAR.</summary>
    public const int Bilinear = 2;

    /// <summary>SWS_POINT: nearest neighbour.</summary>
    public const int Point = 0x10;

    /// <summary>SWS_AREA: averaging, for shrinking.</summary>
    public const int Area = 0x20;

    /// <summary>SWS_LANCZOS.</summary>
    public const int Lanczos = 0x200;
}
