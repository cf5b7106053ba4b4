namespace Odyssey.Media;

/// <summary>Compressed video formats the pipeline carries and decodes.</summary>
public enum VideoCodec
{
    /// <summary>H.264 / AVC, as Annex-B access units (start codes, no length prefixes).</summary>
    H264,

    /// <summary>VP8, one frame per packet.</summary>
    Vp8,

    /// <summary>VP9, one frame (or superframe) per packet.</summary>
    Vp9,

    /// <summary>AV1, one temporal unit per packet (low-overhead OBU format).</summary>
    Av1,
}
