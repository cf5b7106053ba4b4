using System.Runtime.InteropServices;

namespace Odyssey.Media.FFmpeg.Native;

/// <summary>The libswscale functions we call: pixel-format conversion of decoded pictures.</summary>
internal static unsafe partial class SwScale
{
    /// <summary>SWS_BICUBIC: the ffmpeg CLI's default, so our conversions match its output.</summary>
    public const int Bicubic = 4;

    [LibraryImport(FFmpegLibraries.SwScale, EntryPoint = "swscale_version")]
    public static partial uint Version();

    [LibraryImport(FFmpegLibraries.SwScale, EntryPoint = "sws_getCachedContext")]
    public static partial nint GetCachedContext(nint context, int sourceWidth, int sourceHeight, int sourceFormat, int targetWidth, int targetHeight, int targetFormat, int flags, nint sourceFilter, nint targetFilter, double* parameters);

    [LibraryImport(FFmpegLibraries.SwScale, EntryPoint = "sws_scale")]
    public static partial int Scale(nint context, byte** sourcePlanes, int* sourceStrides, int sliceY, int sliceHeight, byte** targetPlanes, int* targetStrides);

    /// <summary>SWS_CS_ITU601 (= SWS_CS_DEFAULT): the BT.601 coefficients JPEG uses.</summary>
    public const int ColorspaceItu601 = 5;

    [LibraryImport(FFmpegLibraries.SwScale, EntryPoint = "sws_getCoefficients")]
    public static partial int* GetCoefficients(int colorspace);

    [LibraryImport(FFmpegLibraries.SwScale, EntryPoint = "sws_setColorspaceDetails")]
    public static partial int SetColorspaceDetails(nint context, int* inverseTable, int sourceRange, int* table, int targetRange, int brightness, int contrast, int saturation);

    [LibraryImport(FFmpegLibraries.SwScale, EntryPoint = "sws_freeContext")]
    public static partial void FreeContext(nint context);
}
