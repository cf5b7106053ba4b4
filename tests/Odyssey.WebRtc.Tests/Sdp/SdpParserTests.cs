using Odyssey.WebRtc.Sdp;

namespace Odyssey.WebRtc.Tests.Sdp;

public sealed class SdpParserTests
{
    private const string Minimal = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

    [Theory]
    [MemberData(nameof(Samples))]
    public void Parse_Sample_ReadsTwoBundledMediaWithTransportAttributes(string name)
    {
        var session = SdpSamples.Parse(name);

        Assert.Equal(["0", "1"], session.BundleMids);
        Assert.Equal(2, session.Media.Count);
        var (video, data) = (session.Media[0], session.Media[1]);
        Assert.Equal("video", video.Kind);
        Assert.Equal("UDP/TLS/RTP/SAVPF", video.Protocol);
        Assert.Equal("0", video.Mid);
        Assert.True(video.RtcpMux);
        Assert.NotEmpty(video.Codecs);
        Assert.All(video.Codecs, c => Assert.Equal(90000, c.ClockRate));
        Assert.Equal(video.Formats, video.Codecs.Select(c => c.PayloadType.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("application", data.Kind);
        Assert.True(data.IsDataChannel);
        Assert.Equal("1", data.Mid);
        Assert.Equal(5000, data.EffectiveSctpPort);
        foreach (var media in session.Media)
        {
            Assert.False(string.IsNullOrEmpty(session.IceUfragOf(media)));
            Assert.False(string.IsNullOrEmpty(session.IcePwdOf(media)));
            var fingerprint = Assert.Single(session.FingerprintsOf(media));
            Assert.Equal("sha-256", fingerprint.Algorithm);
            Assert.Equal(95, fingerprint.Value.Length);
            Assert.NotNull(session.SetupOf(media));
        }
    }

    public static TheoryData<string> Samples() => SdpSamples.All();

    [Fact]
    public void Parse_AiortcOffer_ReadsCodecsFeedbackSsrcsAndLegacyDataChannel()
    {
        var session = SdpSamples.Parse("aiortc-offer-default.sdp");

        Assert.Equal(new SdpOrigin("-", "4004698471", 4004698471, "IN", "IP4", "0.0.0.0"), session.Origin);
        Assert.Equal("WMS", session.MsidSemantic!.Semantic);
        Assert.Equal(["*"], session.MsidSemantic.Identifiers);
        var video = session.Media[0];
        Assert.Equal(35938, video.Port);
        Assert.Equal(new SdpConnection("IN", "IP4", "127.0.0.1"), video.Connection);
        Assert.Equal(SdpDirection.SendOnly, video.Direction);
        Assert.Equal(SdpSetupRole.ActPass, video.Setup);
        Assert.Equal(["97", "98", "99", "100", "101", "102"], video.Formats);
        var vp8 = video.FindCodec(97)!;
        Assert.Equal("VP8", vp8.Name);
        Assert.Null(vp8.FormatParameters);
        Assert.Equal([SdpRtcpFeedback.Nack, SdpRtcpFeedback.Pli, SdpRtcpFeedback.GoogRemb], vp8.Feedback);
        var h264 = video.FindCodec(101)!;
        Assert.Equal("42e01f", h264.GetParameter("profile-level-id"));
        Assert.Equal("1", h264.GetParameter("PACKETIZATION-MODE"));
        Assert.Equal(99, video.FindCodec(100)!.AssociatedPayloadType);
        Assert.Equal(102, video.FindRtxPayloadType(101));
        Assert.Equal(1, video.FindExtmapId(SdpHeaderExtensions.Mid));
        Assert.Equal(2, video.FindExtmapId(SdpHeaderExtensions.AbsSendTime));
        Assert.Equal("FID", Assert.Single(video.SsrcGroups).Semantics);
        Assert.Equal([4129934871u, 4293144378u], video.SsrcGroups[0].Ssrcs);
        Assert.Equal(new SdpSsrcAttribute(4129934871, "cname", "67a6aeee-da23-4a4e-b51a-c5ae1e2a4bcc"), video.Ssrcs[0]);
        Assert.Equal("9 IN IP4 0.0.0.0", video.Rtcp);
        Assert.Equal("16572de626da4e5384a0ce2d0d93678a 1 udp 2130706431 127.0.0.1 35938 typ host", Assert.Single(video.Candidates));
        Assert.True(video.EndOfCandidates);
        Assert.Equal("omXf", video.IceUfrag);
        Assert.Empty(video.Attributes);

        var data = session.Media[1];
        Assert.Equal("DTLS/SCTP", data.Protocol);
        Assert.Equal(["5000"], data.Formats);
        Assert.Equal(new SdpSctpMap(5000, "webrtc-datachannel", 65535), data.SctpMap);
        Assert.Null(data.SctpPort);
        Assert.Equal(65536UL, data.MaxMessageSize);
        Assert.Equal("13op", data.IceUfrag);
        Assert.Empty(data.Attributes);
        Assert.Same(data, session.FindMedia("1"));
        Assert.Same(video, session.FindMedia(session.BundleMids[0]));
        Assert.Null(session.FindMedia("2"));
    }

    [Fact]
    public void Parse_ChromiumOffer_ReadsSessionAttributesAndKeepsUnknownOnes()
    {
        var session = SdpSamples.Parse("chromium-offer-H264.sdp");

        Assert.Equal("3838264991686682088", session.Origin.SessionId);
        Assert.True(session.ExtmapAllowMixed);
        Assert.Equal("WMS", session.MsidSemantic!.Semantic);
        Assert.Equal(["3853ad45-d29c-4e96-8d20-6d669e66afc1"], session.MsidSemantic.Identifiers);
        var video = session.Media[0];
        Assert.Equal(9, video.Port);
        Assert.Equal(["trickle"], video.IceOptions);
        Assert.True(video.RtcpReducedSize);
        Assert.Equal(11, video.Extmaps.Count);
        Assert.Equal(new SdpExtmap(4, null, SdpHeaderExtensions.TransportWideCc, null), video.Extmaps[3]);
        Assert.Equal(new SdpAttribute("rtcp-xr", "rcvr-rtt=all"), Assert.Single(video.Attributes));
        Assert.Equal(new SdpMsid("3853ad45-d29c-4e96-8d20-6d669e66afc1", "a9f8e0a7-8615-4916-bc1b-812cbd3dd6e1"), Assert.Single(video.Msids));
        Assert.Equal(12, video.Codecs.Count);
        Assert.Equal(
            [SdpRtcpFeedback.GoogRemb, SdpRtcpFeedback.TransportCc, SdpRtcpFeedback.Fir, SdpRtcpFeedback.Nack, SdpRtcpFeedback.Pli],
            video.FindCodec(39)!.Feedback);
        Assert.Equal(4, video.Ssrcs.Count);
        Assert.Equal("msid", video.Ssrcs[1].Name);
        Assert.Empty(video.Candidates);
        Assert.False(video.EndOfCandidates);

        var data = session.Media[1];
        Assert.Equal("UDP/DTLS/SCTP", data.Protocol);
        Assert.Equal(["webrtc-datachannel"], data.Formats);
        Assert.Equal(5000, data.SctpPort);
        Assert.Null(data.SctpMap);
        Assert.Equal(262144UL, data.MaxMessageSize);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Parse_SampleWithLfLineEnds_EqualsCrlf(string name)
    {
        var crlf = SdpSamples.Text(name);
        Assert.Contains("\r\n", crlf, StringComparison.Ordinal);

        SdpModelAssert.Equal(SessionDescription.Parse(crlf), SessionDescription.Parse(crlf.Replace("\r\n", "\n", StringComparison.Ordinal)));
    }

    [Fact]
    public void Parse_UnknownLinesAndAttributes_KeepsThemInOrder()
    {
        var session = SessionDescription.Parse(
            Minimal + "b=AS:30\ni=info\na=x-custom:1\na=flag\nx=odd\nm=video 9 UDP/TLS/RTP/SAVPF 96\nb=TIAS:1\na=zzz:2\na=mid:0\na=mid:again\na=yyy\n");

        Assert.Equal([new SdpLine('i', "info"), new SdpLine('b', "AS:30"), new SdpLine('x', "odd")], session.OtherLines);
        Assert.Equal([new SdpAttribute("x-custom", "1"), new SdpAttribute("flag", null)], session.Attributes);
        var media = session.Media[0];
        Assert.Equal("0", media.Mid);
        Assert.Equal([new SdpAttribute("zzz", "2"), new SdpAttribute("mid", "again"), new SdpAttribute("yyy", null)], media.Attributes);
        Assert.Equal([new SdpLine('b', "TIAS:1")], media.OtherLines);
    }

    [Fact]
    public void Parse_BlankLinesAndMissingTiming_AreTolerated()
    {
        var session = SessionDescription.Parse("\r\nv=0\n\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n\r\n");

        Assert.Equal(new SdpTiming(0, 0), session.Timing);
        Assert.Empty(session.Media);
    }

    [Fact]
    public void Parse_WildcardFeedbackAndRtpAttributesOutsideRtp_AreKeptAsWritten()
    {
        var session = SessionDescription.Parse(
            Minimal + "m=video 9 UDP/TLS/RTP/SAVPF 96\na=rtcp-fb:* nack\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=rtpmap:x y\n");

        Assert.Equal(new SdpAttribute("rtcp-fb", "* nack"), Assert.Single(session.Media[0].Attributes));
        Assert.Empty(session.Media[0].Codecs);
        Assert.Equal(new SdpAttribute("rtpmap", "x y"), Assert.Single(session.Media[1].Attributes));
    }

    [Theory]
    [InlineData("m=video 70000 UDP/TLS/RTP/SAVPF 96", 5, "m=", "port")]
    [InlineData("m=video -1 UDP/TLS/RTP/SAVPF 96", 5, "m=", "port")]
    [InlineData("m=video 9/0 UDP/TLS/RTP/SAVPF 96", 5, "m=", "port count")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 128", 5, "m=", "payload type")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF VP8", 5, "m=", "payload type")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96 97 96", 5, "m=", "listed twice")]
    [InlineData("m=video 9", 5, "m=", "<media>")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:200 VP8/90000", 6, "a=rtpmap", "payload type")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:96 VP8", 6, "a=rtpmap", "<encoding name>")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:96 /90000", 6, "a=rtpmap", "<encoding name>")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:96 VP8/fast", 6, "a=rtpmap", "clock rate")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:96 VP8/0", 6, "a=rtpmap", "clock rate")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:96 opus/48000/x", 6, "a=rtpmap", "channels")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=fmtp:-1 apt=96", 6, "a=fmtp", "payload type")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=rtcp-fb:96", 6, "a=rtcp-fb", "<feedback type>")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=extmap:0 urn:x", 6, "a=extmap", "id")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=extmap:1/sideways urn:x", 6, "a=extmap", "direction")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=extmap:1", 6, "a=extmap", "<uri>")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=ssrc:4294967296 cname:x", 6, "a=ssrc", "SSRC")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=ssrc:1", 6, "a=ssrc", "<attribute>")]
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF 96\na=ssrc-group:FID 1 x", 6, "a=ssrc-group", "SSRC")]
    [InlineData("a=fingerprint:sha-256 AB:CD:E", 5, "a=fingerprint", "hex pairs")]
    [InlineData("a=fingerprint:sha-256 AB-CD", 5, "a=fingerprint", "hex pairs")]
    [InlineData("a=fingerprint:sha-256", 5, "a=fingerprint", "<fingerprint>")]
    [InlineData("a=setup:client", 5, "a=setup", "actpass")]
    [InlineData("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=sctp-port:65536", 6, "a=sctp-port", "port")]
    [InlineData("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=max-message-size:big", 6, "a=max-message-size", "size")]
    [InlineData("m=application 9 DTLS/SCTP 5000\na=sctpmap:5000", 6, "a=sctpmap", "<port>")]
    [InlineData("c=IN IP4", 5, "c=", "<connection-address>")]
    [InlineData("t=0", 4, "t=", "<stop-time>")]
    [InlineData("noequals", 5, "line", "<letter>=")]
    [InlineData("1=x", 5, "line", "<letter>=")]
    [InlineData("o=- 1 2 IN IP4 127.0.0.1", 5, "o=", "second")]
    [InlineData("v=0", 5, "v=", "second")]
    public void Parse_BadLine_ThrowsNamingLineAndField(string bad, int lineNumber, string field, string messagePart)
    {
        // Minimal has four lines; a replaced t= line is line 4, everything else is appended from line 5.
        var text = bad.StartsWith("t=", StringComparison.Ordinal) ? Minimal.Replace("t=0 0", bad, StringComparison.Ordinal) : Minimal + bad + "\n";

        var error = Assert.Throws<SdpParseException>(() => SessionDescription.Parse(text));

        Assert.Equal(lineNumber, error.LineNumber);
        Assert.Equal(field, error.Field);
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.Contains($"line {lineNumber}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 0, "v=")]
    [InlineData("o=- 1 2 IN IP4 127.0.0.1\n", 1, "v=")]
    [InlineData("v=1\n", 1, "v=")]
    [InlineData("v=0\ns=-\n", 2, "o=")]
    [InlineData("v=0\no=- 1 2 IN IP4 127.0.0.1\n", 2, "s=")]
    [InlineData("v=0\no=- 1 2 IN IP4\ns=-\n", 2, "o=")]
    [InlineData("v=0\no=- 1 x IN IP4 127.0.0.1\ns=-\n", 2, "o=")]
    [InlineData("v=0\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\rt=0 0\n", 3, "line")]
    public void Parse_BadHeader_ThrowsNamingLineAndField(string text, int lineNumber, string field)
    {
        var error = Assert.Throws<SdpParseException>(() => SessionDescription.Parse(text));

        Assert.Equal(lineNumber, error.LineNumber);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Parse_DuplicateTypedAttributes_KeepsFirstAndPreservesTheRest()
    {
        var session = SessionDescription.Parse(
            Minimal + "a=setup:active\na=setup:passive\nm=video 9 UDP/TLS/RTP/SAVPF 96\na=sendonly\na=recvonly\na=rtpmap:96 VP8/90000\na=rtpmap:96 H264/90000\na=rtcp-mux\na=rtcp-mux\n");

        Assert.Equal(SdpSetupRole.Active, session.Setup);
        Assert.Equal(new SdpAttribute("setup", "passive"), Assert.Single(session.Attributes));
        var media = session.Media[0];
        Assert.Equal(SdpDirection.SendOnly, media.Direction);
        Assert.Equal("VP8", Assert.Single(media.Codecs).Name);
        Assert.Equal([new SdpAttribute("recvonly", null), new SdpAttribute("rtpmap", "96 H264/90000"), new SdpAttribute("rtcp-mux", null)], media.Attributes);
    }

    [Fact]
    public void TransportGetters_SessionLevelValues_AreTheFallbackForEachMediaLine()
    {
        var session = SessionDescription.Parse(
            Minimal + "a=ice-ufrag:sess\na=ice-pwd:sesspwd\na=fingerprint:sha-1 AB:CD\na=setup:passive\n" +
            "m=video 9 UDP/TLS/RTP/SAVPF 96\na=ice-ufrag:own\na=setup:active\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\n");
        var (video, data) = (session.Media[0], session.Media[1]);

        Assert.Equal("own", session.IceUfragOf(video));
        Assert.Equal("sess", session.IceUfragOf(data));
        Assert.Equal("sesspwd", session.IcePwdOf(video));
        Assert.Equal(SdpSetupRole.Active, session.SetupOf(video));
        Assert.Equal(SdpSetupRole.Passive, session.SetupOf(data));
        Assert.Equal(new SdpFingerprint("sha-1", "AB:CD"), Assert.Single(session.FingerprintsOf(data)));

        var answer = SdpNegotiator.CreateAnswer(session, new SdpLocalOptions { IceUfrag = "Od1s", IcePwd = "0123456789abcdefghijkl", Fingerprints = [new("sha-256", "01:02")] });

        Assert.Equal([SdpSetupRole.Passive, SdpSetupRole.Active], answer.Media.Select(m => m.Setup));
    }

    [Fact]
    public void Parse_ExtmapWithDirectionAndAttributes_ReadsAllParts()
    {
        var media = SessionDescription.Parse(Minimal + "m=video 9 UDP/TLS/RTP/SAVPF 96\na=extmap:3/recvonly urn:x:y some  attrs\n").Media[0];

        Assert.Equal(new SdpExtmap(3, SdpDirection.RecvOnly, "urn:x:y", "some  attrs"), Assert.Single(media.Extmaps));
    }
}
