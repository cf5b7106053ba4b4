namespace Odyssey.WebRtc.Sdp;

/// <summary>
/// A whole SDP offer or answer (RFC 8866, with the WebRTC attributes of RFC 8829/JSEP), as a mutable model:
/// parse a peer's text with <see cref="Parse"/>, write ours with <see cref="ToString"/>.
/// </summary>
/// <remarks>
/// Lines and attributes the model has no field for are kept (<see cref="Attributes"/>, <see cref="OtherLines"/>
/// and the same lists on each <see cref="MediaDescription"/>), so parse → write → parse gives an equal model.
/// The writer puts known lines in the order Chromium writes them and the kept ones after them.
/// </remarks>
public sealed class SessionDescription
{
    public SessionDescription(SdpOrigin origin) => Origin = origin;

    public SdpOrigin Origin { get; set; }

    /// <summary><c>s=</c>; WebRTC peers write <c>-</c>.</summary>
    public string SessionName { get; set; } = "-";

    public SdpConnection? Connection { get; set; }

    /// <summary>The first <c>t=</c> line; further ones go to <see cref="OtherLines"/>.</summary>
    public SdpTiming Timing { get; set; } = new(0, 0);

    public List<SdpGroup> Groups { get; } = [];

    public bool ExtmapAllowMixed { get; set; }

    public SdpMsidSemantic? MsidSemantic { get; set; }

    public bool IceLite { get; set; }

    /// <summary>Session-level ICE credentials; an m-line's own values win (<see cref="IceUfragOf"/>).</summary>
    public string? IceUfrag { get; set; }

    public string? IcePwd { get; set; }

    public List<string> IceOptions { get; } = [];

    public List<SdpFingerprint> Fingerprints { get; } = [];

    public SdpSetupRole? Setup { get; set; }

    public List<MediaDescription> Media { get; } = [];

    /// <summary>Session attributes the model has no field for, in their original order.</summary>
    public List<SdpAttribute> Attributes { get; } = [];

    /// <summary>Session lines the model has no field for (<c>i=</c>, <c>b=</c>, <c>r=</c>, unknown letters…).</summary>
    public List<SdpLine> OtherLines { get; } = [];

    /// <summary>
    /// The mids of the BUNDLE group, or an empty list when there is none. The first names the tagged m-line
    /// whose ICE and DTLS transport every bundled m-line shares (RFC 9143 §7.2.1).
    /// </summary>
    public IReadOnlyList<string> BundleMids
    {
        get
        {
            foreach (var group in Groups)
            {
                if (string.Equals(group.Semantics, "BUNDLE", StringComparison.Ordinal))
                {
                    return group.Mids;
                }
            }

            return [];
        }
    }

    /// <summary>The m-line with this mid (a trickled candidate's <c>sdpMid</c>), or null.</summary>
    public MediaDescription? FindMedia(string mid)
    {
        foreach (var media in Media)
        {
            if (string.Equals(media.Mid, mid, StringComparison.Ordinal))
            {
                return media;
            }
        }

        return null;
    }

    /// <summary>Parses SDP text; lines may end in CRLF or LF.</summary>
    /// <exception cref="SdpParseException">A line is malformed; the exception names the line number and field.</exception>
    public static SessionDescription Parse(string text) => SdpParser.Parse(text);

    /// <summary>Writes the description with CRLF line ends, as Chromium and aiortc expect.</summary>
    /// <exception cref="ArgumentException">A value cannot be written (a line break inside it, a port out of range…).</exception>
    public override string ToString() => SdpWriter.Write(this);

    /// <summary>The m-line's <c>ice-ufrag</c>, else the session's (RFC 8839 §5.4).</summary>
    public string? IceUfragOf(MediaDescription media) => Check(media).IceUfrag ?? IceUfrag;

    /// <summary>The m-line's <c>ice-pwd</c>, else the session's.</summary>
    public string? IcePwdOf(MediaDescription media) => Check(media).IcePwd ?? IcePwd;

    /// <summary>The m-line's fingerprints, else the session's (RFC 8122 §5).</summary>
    public IReadOnlyList<SdpFingerprint> FingerprintsOf(MediaDescription media) =>
        Check(media).Fingerprints.Count > 0 ? media.Fingerprints : Fingerprints;

    /// <summary>The m-line's <c>a=setup</c>, else the session's, else null.</summary>
    public SdpSetupRole? SetupOf(MediaDescription media) => Check(media).Setup ?? Setup;

    private static MediaDescription Check(MediaDescription media)
    {
        ArgumentNullException.ThrowIfNull(media);
        return media;
    }
}
