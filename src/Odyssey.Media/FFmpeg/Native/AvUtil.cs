using System.Runtime.InteropServices;

namespace Odyssey.Media.FFmpeg.Native;

/// <summary>The few libavutil functions we call. Pointers stay raw: every struct is owned by FFmpeg.</summary>
internal static unsafe partial class AvUtil
{
    /// <summary>AVERROR(EAGAIN) on Linux: the codec wants the other direction (send/receive) first.</summary>
    public const int ErrorAgain = -11;

    /// <summary>AVERROR_EOF, FFERRTAG('E','O','F',' '): the codec is fully drained.</summary>
    public const int ErrorEof = -541478725;

    /// <summary>AV_NOPTS_VALUE: "no timestamp".</summary>
    public const long NoPts = long.MinValue;

    /// <summary>AV_INPUT_BUFFER_PADDING_SIZE: decoders and parsers may read this far past the data.</summary>
    public const int InputPadding = 64;

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "avutil_version")]
    public static partial uint Version();

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_frame_alloc")]
    public static partial nint FrameAlloc();

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_frame_free")]
    public static partial void FrameFree(nint* frame);

    /// <summary>Frees a frame and zeroes the owner's handle; nothing when it is already zero (Dispose may run twice).</summary>
    public static void FrameFree(ref nint frame)
    {
        if (frame != 0)
        {
            fixed (nint* handle = &frame)
            {
                FrameFree(handle);
            }
        }
    }

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_frame_unref")]
    public static partial void FrameUnref(nint frame);

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_dict_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int DictSet(nint* dictionary, string key, string value, int flags);

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_dict_free")]
    public static partial void DictFree(nint* dictionary);

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_strerror")]
    public static partial int StrError(int error, byte* buffer, nuint size);

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_get_pix_fmt", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int GetPixelFormat(string name);

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_get_pix_fmt_name")]
    public static partial nint GetPixelFormatName(int format);

    /// <summary>FFmpeg's text for an error code, for messages (cold path).</summary>
    public static string ErrorText(int error)
    {
        const int BufferSize = 128; // AV_ERROR_MAX_STRING_SIZE is 64; twice that is plenty.
        var buffer = stackalloc byte[BufferSize];
        return StrError(error, buffer, BufferSize) == 0
            ? Marshal.PtrToStringUTF8((nint)buffer) ?? $"error {error}"
            : $"error {error}";
    }

    /// <summary>FFmpeg's name for a pixel format number, for messages.</summary>
    public static string PixelFormatName(int format) => Marshal.PtrToStringUTF8(GetPixelFormatName(format)) ?? $"pixel format {format}";
}
