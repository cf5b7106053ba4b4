using System.Runtime.InteropServices;

namespace Odyssey.Media.FFmpeg.Native;

/// <summary>AVRational, passed by value to av_opt_set_q (two ints: the SysV ABI passes it in one register).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct AvRational
{
    public readonly int Numerator;
    public readonly int Denominator;

    public AvRational(int numerator, int denominator)
    {
        Numerator = numerator;
        Denominator = denominator;
    }
}

/// <summary>
/// AVOptions: the supported way to set AVCodecContext fields and codecs' private options by name, so we
/// write struct fields by offset only where no option exists (see <see cref="Layouts"/>).
/// </summary>
internal static unsafe partial class AvUtil
{
    /// <summary>AV_OPT_SEARCH_CHILDREN: also search the codec's private options (checked first), e.g. libx264's "preset".</summary>
    public const int OptionSearchChildren = 1;

    /// <summary>AVERROR_OPTION_NOT_FOUND, FFERRTAG(0xF8,'O','P','T').</summary>
    public const int ErrorOptionNotFound = -1414549496;

    /// <summary>AV_LOG_INFO: FFmpeg's default log level.</summary>
    public const int LogInfo = 32;

    /// <summary>AV_LOG_WARNING.</summary>
    public const int LogWarning = 24;

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_log_get_level")]
    public static partial int LogGetLevel();

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_log_set_level")]
    public static partial void LogSetLevel(int level);

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_opt_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OptionSet(nint target, string name, string value, int searchFlags);

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_opt_set_int", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OptionSetInt(nint target, string name, long value, int searchFlags);

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_opt_set_q", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OptionSetRational(nint target, string name, AvRational value, int searchFlags);

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_opt_set_image_size", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OptionSetImageSize(nint target, string name, int width, int height, int searchFlags);

    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_opt_set_pixel_fmt", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OptionSetPixelFormat(nint target, string name, int format, int searchFlags);
}
