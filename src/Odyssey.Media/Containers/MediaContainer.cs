namespace Odyssey.Media.Containers;

/// <summary>The file layouts <see cref="MediaFileReader"/> and <see cref="MediaFileWriter"/> know, chosen by extension.</summary>
internal enum MediaContainer
{
    /// <summary>ISO base media (MP4, MOV): indexed, seekable.</summary>
    Mp4,

    /// <summary>Matroska: indexed by cues, seekable.</summary>
    Matroska,

    /// <summary>WebM: Matroska restricted to VP8, VP9 and AV1.</summary>
    WebM,

    /// <summary>IVF: VP8, VP9 or AV1 frames with a size and pts each; no index.</summary>
    Ivf,

    /// <summary>Raw H.264 with start codes; no index and no timestamps.</summary>
    AnnexB,
}

/// <summary>What each container is called by extension and by FFmpeg.</summary>
internal static class MediaContainers
{
    /// <summary>Extensions the reader accepts, for messages.</summary>
    public const string ReadableExtensions = ".mp4, .m4v, .mov, .mkv, .webm, .ivf, .h264 or .264";

    /// <summary>Extensions the writer accepts, for messages.</summary>
    public const string WritableExtensions = ".mp4, .m4v, .mov, .mkv or .webm";

    /// <summary>The container an extension names, or null for one we do not read.</summary>
    public static MediaContainer? FromPath(string path) => Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".MP4" or ".M4V" or ".MOV" => MediaContainer.Mp4,
        ".MKV" => MediaContainer.Matroska,
        ".WEBM" => MediaContainer.WebM,
        ".IVF" => MediaContainer.Ivf,
        ".H264" or ".264" => MediaContainer.AnnexB,
        _ => null,
    };

    /// <summary>The container's name in messages.</summary>
    public static string DisplayName(MediaContainer container) => container switch
    {
        MediaContainer.Mp4 => "MP4",
        MediaContainer.Matroska => "Matroska",
        MediaContainer.WebM => "WebM",
        MediaContainer.Ivf => "IVF",
        MediaContainer.AnnexB => "raw H.264 (Annex-B)",
        _ => container.ToString(),
    };

    /// <summary>True when the writer can produce this container (the ones with an index and timestamps).</summary>
    public static bool IsWritable(MediaContainer container) => container is MediaContainer.Mp4 or MediaContainer.Matroska or MediaContainer.WebM;

    /// <summary>True when the container has a seek index libavformat uses to find keyframes.</summary>
    public static bool IsIndexed(MediaContainer container) => container is MediaContainer.Mp4 or MediaContainer.Matroska or MediaContainer.WebM;

    /// <summary>
    /// The demuxer forced for an extension. Forcing (rather than probing) gives a clear "not an MP4"
    /// error for a damaged file instead of a guess at some other format.
    /// </summary>
    public static string DemuxerName(MediaContainer container) => container switch
    {
        MediaContainer.Mp4 => "mp4",
        MediaContainer.Matroska or MediaContainer.WebM => "matroska",
        MediaContainer.Ivf => "ivf",
        MediaContainer.AnnexB => "h264",
        _ => throw new ArgumentOutOfRangeException(nameof(container), container, null),
    };

    /// <summary>The muxer for a writable container.</summary>
    public static string MuxerName(MediaContainer container) => container switch
    {
        MediaContainer.Mp4 => "mp4",
        MediaContainer.Matroska => "matroska",
        MediaContainer.WebM => "webm",
        _ => throw new ArgumentOutOfRangeException(nameof(container), container, "not a container the writer produces"),
    };

    /// <summary>Our codec for FFmpeg's codec name (avcodec_get_name), or null for one the pipeline does not carry.</summary>
    public static VideoCodec? CodecFromName(string name) => name switch
    {
        "h264" => VideoCodec.H264,
        "vp8" => VideoCodec.Vp8,
        "vp9" => VideoCodec.Vp9,
        "av1" => VideoCodec.Av1,
        _ => null,
    };

    /// <summary>FFmpeg's codec descriptor name for ours (not the decoder's name: AV1's decoder is libdav1d).</summary>
    public static string CodecName(VideoCodec codec) => codec switch
    {
        VideoCodec.H264 => "h264",
        VideoCodec.Vp8 => "vp8",
        VideoCodec.Vp9 => "vp9",
        VideoCodec.Av1 => "av1",
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, null),
    };
}
