using System.Runtime.InteropServices;

namespace Odyssey.Media.FFmpeg.Native;

/// <summary>
/// What zero-copy decoding calls: libavcodec's buffer geometry and default allocator (for the pictures we
/// do not serve), and libavutil's reference-counted buffers that wrap our pooled frames.
/// </summary>
internal static unsafe partial class AvCodec
{
    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_default_get_buffer2")]
    public static partial int DefaultGetBuffer2(nint context, nint frame, int flags);

    /// <summary>Widens/heightens a picture size to what the codec writes, and gives each plane's row alignment (int[8]).</summary>
    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_align_dimensions2")]
    public static partial void AlignDimensions2(nint context, int* width, int* height, int* linesizeAlign);
}

/// <summary>libavutil's AVBufferRef functions.</summary>
internal static unsafe partial class AvUtil
{
    /// <summary>AVERROR(ENOMEM) on Linux: what get_buffer2 returns when it cannot give a buffer.</summary>
    public const int ErrorNoMemory = -12;

    /// <summary>Wraps memory we own in an AVBufferRef; <paramref name="free"/> runs when the last reference goes.</summary>
    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_buffer_create")]
    public static partial nint BufferCreate(byte* data, nuint size, delegate* unmanaged<nint, byte*, void> free, nint opaque, int flags);

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_buffer_get_opaque")]
    public static partial nint BufferGetOpaque(nint buffer);
}
