namespace Odyssey.WebRtc.Payloads;

/// <summary>H.264 NAL unit types and header bits this stack looks at (H.264 §7.4.1, RFC 6184 §5.2).</summary>
internal static class H264Nal
{
    public const int TypeMask = 0x1F;
    public const int NriMask = 0x60;
    public const int ForbiddenBit = 0x80;

    public const int Slice = 1;
    public const int Idr = 5;
    public const int Sei = 6;
    public const int Sps = 7;
    public const int Pps = 8;
    public const int AccessUnitDelimiter = 9;

    /// <summary>RFC 6184 §5.7.1: single-time aggregation packet A.</summary>
    public const int StapA = 24;

    /// <summary>RFC 6184 §5.8: fragmentation unit A.</summary>
    public const int FuA = 28;

    public const int FuStartBit = 0x80;
    public const int FuEndBit = 0x40;

    /// <summary>Bytes of a STAP-A NAL size field.</summary>
    public const int StapSizeLength = 2;

    /// <summary>The Annex-B start code written before every NAL unit of a depacketized frame.</summary>
    public static ReadOnlySpan<byte> StartCode => [0, 0, 0, 1];

    /// <summary>
    /// True when a NAL unit of <paramref name="type"/> begins an access unit: a delimiter or an SPS
    /// (keyframes from libx264 and libwebrtc lead with SPS). A PPS or a slice with first_mb_in_slice = 0
    /// is not trusted, because the SPS/PPS often travel in the packet before it and would be cut off.
    /// </summary>
    public static bool StartsAccessUnit(int type) => type is AccessUnitDelimiter or Sps;
}

