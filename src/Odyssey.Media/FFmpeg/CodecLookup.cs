using Odyssey.Media.FFmpeg.Native;

namespace Odyssey.Media.FFmpeg;

/// <summary>
/// Finds decoders by name rather than by AVCodecID: the enum's numbers are ABI details, names are not.
/// </summary>
internal static class CodecLookup
{
    /// <summary>FFmpeg's decoder name for each codec. AV1 uses dav1d: the fastest AV1 decoder Debian ships.</summary>
    public static string DecoderName(VideoCodec codec) => codec switch
    {
        VideoCodec.H264 => "h264",
        VideoCodec.Vp8 => "vp8",
        VideoCodec.Vp9 => "vp9",
        VideoCodec.Av1 => "libdav1d",
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "unknown video codec"),
    };

    /// <summary>The AVCodec* of <paramref name="codec"/>'s decoder; throws naming the decoder when absent.</summary>
    public static nint FindDecoder(VideoCodec codec)
    {
        FFmpegRuntime.EnsureAvailable();
        var name = DecoderName(codec);
        var decoder = AvCodec.FindDecoderByName(name);
        if (decoder == 0)
        {
            throw new NotSupportedException($"the system FFmpeg has no decoder named '{name}' for {codec}");
        }

        return decoder;
    }

    /// <summary>The AVCodecID stored in an AVCodec, which the parser API needs.</summary>
    public static int CodecId(nint avCodec) => Layouts.ReadInt32(avCodec, Layouts.CodecId);
}
