using Odyssey.WebRtc.Sdp;

namespace Odyssey.WebRtc.Tests.Sdp;

public sealed class SdpWriterTests
{
    public static TheoryData<string> Samples() => SdpSamples.All();

    [Theory]
    [MemberData(nameof(Samples))]
    public void Write_ParsedSample_ReparsesToAnEqualModel(string name)
    {
        var parsed = SdpSamples.Parse(name);

        var written = parsed.ToString();

        SdpModelAssert.Equal(parsed, SessionDescription.Parse(written));
        Assert.Equal(written, SessionDescription.Parse(written).ToString());
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Write_ParsedSample_KeepsEveryLineOfTheOriginal(string name)
    {
        // The writer may reorder attributes (Chromium's order), but no line may be lost or changed,
        // except msid-semantic, whose space after the colon is Chromium's spelling of the same thing.
        var original = Lines(SdpSamples.Text(name));

        var written = Lines(SdpSamples.Parse(name).ToString());

        Assert.Equal(Normalize(original), Normalize(written));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Write_ParsedSample_UsesCrlfOnly(string name)
    {
        var written = SdpSamples.Parse(name).ToString();

        Assert.EndsWith("\r\n", written, StringComparison.Ordinal);
        Assert.Equal(written.Split("\r\n").Length - 1, written.Count(c => c == '\n'));
        Assert.StartsWith("v=0\r\no=", written, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ChromiumOffer_PutsKnownAttributesInChromiumOrderAndUnknownLast()
    {
        var lines = Lines(SdpSamples.Parse("chromium-offer-VP8.sdp").ToString()).ToList();
        var video = lines.IndexOf("m=video 9 UDP/TLS/RTP/SAVPF 96 97");

        Assert.Equal(
            ["m=video 9 UDP/TLS/RTP/SAVPF 96 97", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0", "a=ice-ufrag:SOiI", "a=ice-pwd:0ZCOs2sJbJ7AUTHOd2tCb3hg", "a=ice-options:trickle"],
            lines.Skip(video).Take(6));
        Assert.True(lines.IndexOf("a=setup:actpass") < lines.IndexOf("a=mid:0"));
        Assert.True(lines.IndexOf("a=rtcp-rsize") < lines.IndexOf("a=rtpmap:96 VP8/90000"));
        Assert.True(lines.IndexOf("a=fmtp:97 apt=96") < lines.IndexOf("a=ssrc-group:FID 1388819576 2901357208"));
        Assert.Equal("a=rtcp-xr:rcvr-rtt=all", lines[lines.IndexOf("m=application 9 UDP/DTLS/SCTP webrtc-datachannel") - 1]);
    }

    [Fact]
    public void Write_LineBreakInsideAValue_ThrowsInsteadOfWritingTwoLines()
    {
        var session = SdpSamples.Parse("aiortc-offer-VP8.sdp");
        session.Media[0].Candidates.Add("1 1 udp 1 127.0.0.1 9 typ host\r\na=setup:passive");

        var error = Assert.Throws<ArgumentException>(session.ToString);

        Assert.Contains("line break", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_PortOutOfRange_Throws()
    {
        var session = SdpSamples.Parse("aiortc-offer-VP8.sdp");
        session.Media[0].Port = 65536;

        Assert.Throws<ArgumentOutOfRangeException>(session.ToString);
    }

    [Fact]
    public void Write_BuiltModel_WritesEveryFieldTheWayPeersExpect()
    {
        var session = new SessionDescription(new SdpOrigin("-", "42", 2, "IN", "IP4", "127.0.0.1"));
        session.Groups.Add(new SdpGroup("BUNDLE", ["0"]));
        var media = new MediaDescription("video", 9, "UDP/TLS/RTP/SAVPF") { Mid = "0", Direction = SdpDirection.RecvOnly, Setup = SdpSetupRole.Active, RtcpMux = true };
        media.Formats.Add("96");
        var codec = new SdpCodec(96) { Name = "H264", ClockRate = 90000, FormatParameters = "packetization-mode=1" };
        codec.Feedback.Add(SdpRtcpFeedback.Pli);
        media.Codecs.Add(codec);
        media.Extmaps.Add(new SdpExtmap(1, SdpDirection.SendOnly, SdpHeaderExtensions.Mid, null));
        media.Fingerprints.Add(new SdpFingerprint("sha-256", "AB:CD"));
        media.Ssrcs.Add(new SdpSsrcAttribute(7, "cname", "x"));
        session.Media.Add(media);

        Assert.Equal(
            "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" +
            "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=fingerprint:sha-256 AB:CD\r\na=setup:active\r\na=mid:0\r\n" +
            "a=extmap:1/sendonly urn:ietf:params:rtp-hdrext:sdes:mid\r\na=recvonly\r\na=rtcp-mux\r\n" +
            "a=rtpmap:96 H264/90000\r\na=rtcp-fb:96 nack pli\r\na=fmtp:96 packetization-mode=1\r\na=ssrc:7 cname:x\r\n",
            session.ToString());
    }

    private static string[] Lines(string text) => text.Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries);

    private static string[] Normalize(IEnumerable<string> lines) =>
        lines.Select(l => l.Replace("a=msid-semantic: ", "a=msid-semantic:", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
}
