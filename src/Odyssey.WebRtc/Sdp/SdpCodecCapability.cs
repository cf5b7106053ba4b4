namespace Odyssey.WebRtc.Sdp;

/// <summary>
/// A video codec this side can receive (answers) or send (offers), with the fmtp values that decide whether
/// an offered payload type is the same codec.
/// </summary>
public sealed record SdpCodecCapability
{
    /// <summary>All WebRTC video codecs run at 90 kHz (RFC 7741, RFC 6184, RFC 9628).</summary>
    public const int VideoClockRate = 90000;

    private SdpCodecCapability(string name) => Name = name;

    /// <summary>Encoding name as in <c>a=rtpmap</c>: <c>VP8</c>, <c>H264</c>, <c>VP9</c>, <c>AV1</c>.</summary>
    public string Name { get; }

    public int ClockRate { get; init; } = VideoClockRate;

    /// <summary>H.264 only: the profile that must match (RFC 6184 §8.2.2).</summary>
    public H264Profile? H264Profile { get; init; }

    /// <summary>H.264 only: the highest level this side handles; answers pick from it (RFC 6184 §8.2.2).</summary>
    public byte H264Level { get; init; }

    /// <summary>H.264 only: 1 = non-interleaved (single NAL, STAP-A, FU-A), which our depacketizer takes.</summary>
    public int H264PacketizationMode { get; init; }

    /// <summary>VP9 <c>profile-id</c> or AV1 <c>profile</c> (0 when absent in the offer).</summary>
    public int Profile { get; init; }

    public static SdpCodecCapability Vp8 { get; } = new("VP8");

    /// <summary>H.264 in packetization mode 1 (the only one our packetizers speak) at a profile and level.</summary>
    public static SdpCodecCapability H264(H264Profile profile, byte level = H264ProfileLevelId.Level31) =>
        new("H264") { H264Profile = profile, H264Level = level, H264PacketizationMode = 1 };

    public static SdpCodecCapability Vp9(int profileId = 0) => new("VP9") { Profile = profileId };

    public static SdpCodecCapability Av1(int profile = 0) => new("AV1") { Profile = profile };

    /// <summary>
    /// What a receiver built on our depacketizers and the FFmpeg decoder takes by default: VP8, and H.264
    /// Constrained Baseline and Baseline (42e0xx and 4200xx; aiortc offers both, Chromium too).
    /// </summary>
    public static IReadOnlyList<SdpCodecCapability> DefaultReceive { get; } =
        [Vp8, H264(Sdp.H264Profile.ConstrainedBaseline), H264(Sdp.H264Profile.Baseline)];

    /// <summary>True when an offered payload type is this codec (name, clock rate and the fmtp rules above).</summary>
    internal bool Matches(SdpCodec offered)
    {
        if (!string.Equals(offered.Name, Name, StringComparison.OrdinalIgnoreCase) || offered.ClockRate != ClockRate)
        {
            return false;
        }

        switch (Name)
        {
            case "H264":
                // RFC 6184 §8.1: packetization-mode defaults to 0 and profile-level-id to 42000a when absent.
                var mode = offered.GetParameter("packetization-mode") ?? "0";
                var profileText = offered.GetParameter("profile-level-id");
                var id = H264ProfileLevelId.Default;
                return mode == H264PacketizationMode.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    && (profileText is null || H264ProfileLevelId.TryParse(profileText, out id))
                    && id.Profile == H264Profile;
            case "VP9":
                return (offered.GetParameter("profile-id") ?? "0") == Profile.ToString(System.Globalization.CultureInfo.InvariantCulture);
            case "AV1":
                return (offered.GetParameter("profile") ?? "0") == Profile.ToString(System.Globalization.CultureInfo.InvariantCulture);
            default:
                return true;
        }
    }
}
