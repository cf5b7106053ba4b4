using System.Runtime.InteropServices;

namespace Odyssey.Media.FFmpeg.Native;

/// <summary>The libavformat functions we call: demuxing files into packets and muxing packets into files.</summary>
internal static unsafe partial class AvFormat
{
    /// <summary>AVMEDIA_TYPE_VIDEO.</summary>
    public const int MediaTypeVideo = 0;

    /// <summary>AVSEEK_FLAG_BACKWARD: seek to the keyframe at or before the timestamp.</summary>
    public const int SeekBackward = 1;

    /// <summary>AVIO_FLAG_WRITE.</summary>
    public const int IoWrite = 2;

    /// <summary>AVFMT_NOFILE in AVOutputFormat.flags: the muxer opens no file of its own.</summary>
    public const int FormatNoFile = 1;

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "avformat_version")]
    public static partial uint Version();

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "av_find_input_format", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint FindInputFormat(string shortName);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "avformat_open_input", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OpenInput(nint* context, string url, nint format, nint* options);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "avformat_find_stream_info")]
    public static partial int FindStreamInfo(nint context, nint* options);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "av_find_best_stream")]
    public static partial int FindBestStream(nint context, int mediaType, int wantedStream, int relatedStream, nint* decoder, int flags);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "av_read_frame")]
    public static partial int ReadFrame(nint context, nint packet);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "av_seek_frame")]
    public static partial int SeekFrame(nint context, int streamIndex, long timestamp, int flags);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "avformat_close_input")]
    public static partial void CloseInput(nint* context);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "avformat_alloc_output_context2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int AllocOutputContext(nint* context, nint format, string formatName, string fileName);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "avformat_new_stream")]
    public static partial nint NewStream(nint context, nint codec);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "avio_open", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int IoOpen(nint* io, string url, int flags);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "avio_closep")]
    public static partial int IoClose(nint* io);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "avformat_write_header")]
    public static partial int WriteHeader(nint context, nint* options);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "av_write_frame")]
    public static partial int WriteFrame(nint context, nint packet);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "av_write_trailer")]
    public static partial int WriteTrailer(nint context);

    [LibraryImport(FFmpegLibraries.AvFormat, EntryPoint = "avformat_free_context")]
    public static partial void FreeContext(nint context);
}
