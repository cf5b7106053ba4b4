using System.Runtime.InteropServices;

namespace Odyssey.Media.FFmpeg.Native;

/// <summary>
/// The libavcodec functions the container code calls: codec names and descriptors, codec parameters,
/// packet references and bitstream filters. Kept apart from the decoder's bindings.
/// </summary>
internal static unsafe partial class AvCodec
{
    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_get_name")]
    public static partial nint GetName(int codecId);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_descriptor_get_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint DescriptorByName(string name);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_parameters_copy")]
    public static partial int ParametersCopy(nint target, nint source);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_bsf_get_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint BitstreamFilterByName(string name);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_bsf_alloc")]
    public static partial int BitstreamFilterAlloc(nint filter, nint* context);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_bsf_init")]
    public static partial int BitstreamFilterInit(nint context);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_bsf_send_packet")]
    public static partial int BitstreamFilterSend(nint context, nint packet);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_bsf_receive_packet")]
    public static partial int BitstreamFilterReceive(nint context, nint packet);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_bsf_flush")]
    public static partial void BitstreamFilterFlush(nint context);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_bsf_free")]
    public static partial void BitstreamFilterFree(nint* context);
}
