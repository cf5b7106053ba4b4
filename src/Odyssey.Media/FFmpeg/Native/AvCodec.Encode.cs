using System.Runtime.InteropServices;

namespace Odyssey.Media.FFmpeg.Native;

/// <summary>The libavcodec functions the encoder adds: encoders by name and the send-frame/receive-packet API.</summary>
internal static unsafe partial class AvCodec
{
    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_find_encoder_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint FindEncoderByName(string name);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_send_frame")]
    public static partial int SendFrame(nint context, nint frame);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "avcodec_receive_packet")]
    public static partial int ReceivePacket(nint context, nint packet);

    [LibraryImport(FFmpegLibraries.AvCodec, EntryPoint = "av_packet_unref")]
    public static partial void PacketUnref(nint packet);
}
