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

    public static int ReadInt32(nint structure, int offset) => *(int*)(structure + offset);

    public static long ReadInt64(nint structure, int offset) => *(long*)(structure + offset);

    public static nint ReadPointer(nint structure, int offset) => *(nint*)(structure + offset);

    public static void WriteInt32(nint structure, int offset, int value) => *(int*)(structure + offset) = value;

    public static void WriteInt64(nint structure, int offset, long value) => *(long*)(structure + offset) = value;

    public static void WritePointer(nint structure, int offset, nint value) => *(nint*)(structure + offset) = value;
}
