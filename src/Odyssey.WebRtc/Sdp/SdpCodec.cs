namespace Odyssey.WebRtc.Sdp;

/// <summary>
/// One RTP payload type of an m-line: its <c>a=rtpmap</c>, <c>a=fmtp</c> and <c>a=rtcp-fb</c> lines together.
/// </summary>
public sealed class SdpCodec
{
    public SdpCodec(int payloadType) => PayloadType = payloadType;

    /// <summary>RTP payload type, 0..127.</summary>
    public int PayloadType { get; }

    /// <summary>Encoding name from <c>a=rtpmap</c> (<c>VP8</c>, <c>H264</c>, <c>rtx</c>…); null when no rtpmap line was given.</summary>
    public string? Name { get; set; }

    /// <summary>Clock rate from <c>a=rtpmap</c> (90000 for video); 0 when no rtpmap line was given.</summary>
    public int ClockRate { get; set; }

    /// <summary>Channel count from <c>a=rtpmap</c> (audio only).</summary>
    public int? Channels { get; set; }

    /// <summary>The <c>a=fmtp</c> parameters as written (<c>key=value;key=value</c>); null when there was no fmtp line.</summary>
    public string? FormatParameters { get; set; }

    /// <summary>The <c>a=rtcp-fb</c> lines for this payload type, in order.</summary>
    public List<SdpRtcpFeedback> Feedback { get; } = [];

    /// <summary>True for a retransmission payload type (RFC 4588), which names its primary with <c>apt</c>.</summary>
    public bool IsRtx => string.Equals(Name, "rtx", StringComparison.OrdinalIgnoreCase);

    /// <summary>One fmtp parameter (names compare case-insensitively, RFC 8866 §6.15), or null when absent.</summary>
    public string? GetParameter(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (FormatParameters is null)
        {
            return null;
        }

        foreach (var part in FormatParameters.Split(';'))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var key = (equals < 0 ? part : part[..equals]).Trim();
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return equals < 0 ? string.Empty : part[(equals + 1)..].Trim();
            }
        }

        return null;
    }

    /// <summary>The primary payload type an RTX codec repairs (<c>apt</c>), or null.</summary>
    public int? AssociatedPayloadType =>
        int.TryParse(GetParameter("apt"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var apt) ? apt : null;

    public override string ToString() => $"{PayloadType} {Name}/{ClockRate}";
}
