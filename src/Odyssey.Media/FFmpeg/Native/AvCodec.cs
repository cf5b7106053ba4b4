using System.Runtime.InteropServices;

namespace Odyssey.Media.FFmpeg.Native;

/// <summary>The libavcodec functions we call: decoders by name, the send/receive API, and the parser.</summary>
internal static unsafe partial class AvCodec
{
    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_version")]
    public static partial uint Version();

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_find_decoder_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint FindDecoderByName(string name);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_alloc_context3")]
    public static partial nint AllocContext(nint codec);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_open2")]
    public static partial int Open(nint context, nint codec, nint* options);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_send_packet")]
    public static partial int SendPacket(nint context, nint packet);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_receive_frame")]
    public static partial int ReceiveFrame(nint context, nint frame);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_flush_buffers")]
    public static partial void FlushBuffers(nint context);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_free_context")]
    public static partial void FreeContext(nint* context);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_packet_alloc")]
    public static partial nint PacketAlloc();

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_packet_free")]
    public static partial void PacketFree(nint* packet);

    /// <summary>
    /// Frees a codec context and zeroes the owner's handle (FFmpeg nulls it through the pointer); nothing
    /// when it is already zero, so a Dispose that runs twice or after a failed open is safe.
    /// </summary>
    public static void FreeContext(ref nint context)
    {
        if (context != 0)
        {
            fixed (nint* handle = &context)
            {
                FreeContext(handle);
            }
        }
    }

    /// <summary>Frees a packet and zeroes the owner's handle; see <see cref="FreeContext(ref nint)"/>.</summary>
    public static void PacketFree(ref nint packet)
    {
        if (packet != 0)
        {
            fixed (nint* handle = &packet)
            {
                PacketFree(handle);
            }
        }
    }

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_parser_init")]
    public static partial nint ParserInit(int codecId);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_parser_parse2")]
    public static partial int ParserParse(nint parser, nint context, byte** output, int* outputSize, byte* input, int inputSize, long pts, long dts, long position);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_parser_close")]
    public static partial void ParserClose(nint parser);
}
