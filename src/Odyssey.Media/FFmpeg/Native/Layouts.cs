namespace Odyssey.Media.FFmpeg.Native;

/// <summary>
/// Field offsets in FFmpeg 5.1's public structs (libavutil 57, libavcodec 59), measured with offsetof
/// (INTEROP-NOTES.md). Reading a few fields by offset keeps us from mirroring whole structs whose tails
/// change between minor versions; the version probe guarantees the major versions these hold for.
/// </summary>
internal static unsafe class Layouts
{
    /// <summary>AVCodec: name @0, long_name @8, type @16, id @20.</summary>
    public const int CodecId = 20;

    public const int FrameData = 0;
    public const int FrameLinesize = 64;
    public const int FrameWidth = 104;
    public const int FrameHeight = 108;
    public const int FrameFormat = 116;
    public const int FrameKeyFrame = 120;
    public const int FramePts = 136;

    public const int PacketPts = 8;
    public const int PacketDts = 16;
    public const int PacketData = 24;
    public const int PacketSize = 32;
    public const int PacketFlags = 40;

    /// <summary>AV_PKT_FLAG_KEY.</summary>
    public const int PacketFlagKey = 1;

    // ---- Encoder (VideoEncoder) ----------------------------------------------------------------------
    // Measured on Debian 12 (libavcodec-dev 7:5.1.9, installed only for the probe) with a C program
    // printing offsetof(...) and probing av_opt_find(ctx, name, NULL, 0, AV_OPT_SEARCH_CHILDREN) for each
    // field we set (docs/encoder-interop.md). Everything else (bit rate, GOP, size, pixel format,
    // time_base, codec private options) goes through AVOptions.

    /// <summary>
    /// AVCodecContext.framerate (AVRational: num @712, den @716). lavc 59 has no AVOption for it, and
    /// libx264 takes its rate-control frame rate from it (else from time_base).
    /// </summary>
    public const int CodecContextFramerate = 712;

    /// <summary>AVFrame.pict_type: setting <see cref="PictureTypeI"/> makes encoders emit a keyframe.</summary>
    public const int FramePictType = 124;

    /// <summary>AV_PICTURE_TYPE_NONE: the encoder decides.</summary>
    public const int PictureTypeNone = 0;

    /// <summary>AV_PICTURE_TYPE_I: a forced keyframe (IDR for libx264 with forced-idr=1).</summary>
    public const int PictureTypeI = 1;

    // ---- end of encoder group -----------------------------------------------------------------------

    // ---- Zero-copy decoding (VideoDecoder.DirectRendering) -------------------------------------------
    // Measured with offsetof against Debian 12's libavcodec-dev/libavutil-dev 7:5.1.9 headers (unpacked
    // only for the probe; benchmarks/RESULTS.md, FFmpeg decode). Neither callback has an AVOption.

    /// <summary>AVCodec.capabilities (after name, long_name, type, id).</summary>
    public const int CodecCapabilities = 24;

    /// <summary>AV_CODEC_CAP_DR1: the decoder calls get_buffer2 for every picture and accepts our buffers.</summary>
    public const int CodecCapabilityDirectRendering = 1 << 1;

    /// <summary>AVCodecContext.opaque: our handle back to the decoder, read by the callback.</summary>
    public const int CodecContextOpaque = 48;

    /// <summary>AVCodecContext.get_buffer2.</summary>
    public const int CodecContextGetBuffer2 = 408;

    /// <summary>
    /// AVCodecContext.thread_safe_callbacks (deprecated in lavc 59, still read): without it avcodec_open2
    /// warns on every open that a custom get_buffer2 with frame threading must be thread-safe (ours is).
    /// </summary>
    public const int CodecContextThreadSafeCallbacks = 648;

    /// <summary>AVFrame.extended_data: must point at data[] for video.</summary>
    public const int FrameExtendedData = 96;

    /// <summary>AVFrame.buf[0] (AVBufferRef*, eight of them).</summary>
    public const int FrameBuffers = 224;

    /// <summary>Length of AVFrame.data[] and linesize[] (AV_NUM_DATA_POINTERS).</summary>
    public const int FramePlanePointers = 8;

    // ---- end of zero-copy group ----------------------------------------------------------------------

    public static int ReadInt32(nint structure, int offset) => *(int*)(structure + offset);

    public static long ReadInt64(nint structure, int offset) => *(long*)(structure + offset);

    public static nint ReadPointer(nint structure, int offset) => *(nint*)(structure + offset);

    public static void WriteInt32(nint structure, int offset, int value) => *(int*)(structure + offset) = value;

    public static void WriteInt64(nint structure, int offset, long value) => *(long*)(structure + offset) = value;

    public static void WritePointer(nint structure, int offset, nint value) => *(nint*)(structure + offset) = value;
}

/// <summary>
/// Offsets in libavformat 59's and the container side of libavcodec 59's structs (FFmpeg 5.1, measured
/// with offsetof against Debian's 5.1.9 headers), for the demuxer and muxer.
/// </summary>
internal static class FormatLayouts
{
    /// <summary>AVFormatContext.</summary>
    public const int ContextOutputFormat = 16;
    public const int ContextIo = 32;
    public const int ContextStreamCount = 44;
    public const int ContextStreams = 48;
    public const int ContextDuration = 72;

    /// <summary>AVStream.</summary>
    public const int StreamTimeBase = 16;
    public const int StreamStartTime = 24;
    public const int StreamDuration = 32;
    public const int StreamAverageFrameRate = 72;
    public const int StreamRealFrameRate = 200;
    public const int StreamCodecParameters = 208;

    /// <summary>AVCodecParameters.</summary>
    public const int ParametersCodecType = 0;
    public const int ParametersCodecId = 4;
    public const int ParametersExtradata = 16;
    public const int ParametersExtradataSize = 24;
    public const int ParametersFormat = 28;
    public const int ParametersWidth = 56;
    public const int ParametersHeight = 60;

    /// <summary>AVPacket fields the decoder does not use.</summary>
    public const int PacketStreamIndex = 36;
    public const int PacketDuration = 64;
    public const int PacketPosition = 72;

    /// <summary>AV_PKT_FLAG_CORRUPT: the demuxer could not read the whole packet.</summary>
    public const int PacketFlagCorrupt = 2;

    /// <summary>AVBSFContext.</summary>
    public const int BitstreamFilterParametersIn = 24;
    public const int BitstreamFilterTimeBaseIn = 40;

    /// <summary>AVCodecDescriptor.id, the first field.</summary>
    public const int DescriptorId = 0;

    /// <summary>AVOutputFormat.flags.</summary>
    public const int OutputFormatFlags = 44;

    /// <summary>AV_TIME_BASE: AVFormatContext.duration counts microseconds.</summary>
    public const long TimeBase = 1_000_000;
}
