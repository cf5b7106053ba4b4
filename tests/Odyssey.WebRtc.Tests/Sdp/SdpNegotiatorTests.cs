using System.Net;
using Odyssey.WebRtc.Sdp;

namespace Odyssey.WebRtc.Tests.Sdp;

public sealed class SdpNegotiatorTests
{
    private const string Fingerprint = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";

    private static SdpLocalOptions Options(Func<SdpLocalOptions, SdpLocalOptions>? change = null)
    {
        var options = new SdpLocalOptions
        {
            IceUfrag = "Od1s",
            IcePwd = "0123456789abcdefghijkl",
            Fingerprints = [new SdpFingerprint("sha-256", Fingerprint)],
            SessionId = 77,
        };
        return change is null ? options : change(options);
    }

    private static SessionDescription Answer(string sample, SdpLocalOptions? options = null) =>
        SdpNegotiator.CreateAnswer(SdpSamples.Parse(sample), options ?? Options());

    [Fact]
    public void CreateAnswer_AiortcDefaultOffer_TakesVp8AndBothH264ProfilesWithRtxAsActiveReceiver()
    {
        var answer = Answer("aiortc-offer-default.sdp");

        Assert.Equal(["0", "1"], answer.BundleMids);
        var video = answer.Media[0];
        Assert.Equal("0", video.Mid);
        Assert.Equal(9, video.Port);
        Assert.Equal("UDP/TLS/RTP/SAVPF", video.Protocol);
        Assert.Equal(["97", "98", "99", "100", "101", "102"], video.Formats);
        Assert.Equal(SdpDirection.RecvOnly, video.Direction);
        Assert.Equal(SdpSetupRole.Active, video.Setup);
        Assert.True(video.RtcpMux);
        Assert.False(video.RtcpReducedSize);
        Assert.Equal([SdpRtcpFeedback.Nack, SdpRtcpFeedback.Pli], video.FindCodec(97)!.Feedback);
        Assert.Equal("apt=97", video.FindCodec(98)!.FormatParameters);
        Assert.Empty(video.FindCodec(98)!.Feedback);
        Assert.Equal("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", video.FindCodec(99)!.FormatParameters);
        Assert.Equal("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", video.FindCodec(101)!.FormatParameters);
        Assert.Equal([new SdpExtmap(1, null, SdpHeaderExtensions.Mid, null), new SdpExtmap(2, null, SdpHeaderExtensions.AbsSendTime, null)], video.Extmaps);
        Assert.Empty(video.Ssrcs);
        Assert.Empty(video.Msids);
        Assert.Equal("Od1s", video.IceUfrag);
        Assert.Equal("0123456789abcdefghijkl", video.IcePwd);
        Assert.Equal(["trickle"], video.IceOptions);
        Assert.Equal(Fingerprint, Assert.Single(video.Fingerprints).Value);
        Assert.Equal(new SdpConnection("IN", "IP4", "0.0.0.0"), video.Connection);

        var data = answer.Media[1];
        Assert.Equal("1", data.Mid);
        Assert.Equal("UDP/DTLS/SCTP", data.Protocol);
        Assert.Equal(["webrtc-datachannel"], data.Formats);
        Assert.Equal(5000, data.SctpPort);
        Assert.Null(data.SctpMap);
        Assert.Equal(262144UL, data.MaxMessageSize);
        Assert.Equal(SdpSetupRole.Active, data.Setup);
        Assert.Equal(9, data.Port);
    }

    [Theory]
    [InlineData("aiortc-offer-H264.sdp", new[] { "99", "100", "101", "102" })]
    [InlineData("aiortc-offer-VP8.sdp", new[] { "97", "98" })]
    [InlineData("chromium-offer-VP8.sdp", new[] { "96", "97" })]
    [InlineData("chromium-offer-H264.sdp", new[] { "102", "103", "108", "109" })]
    public void CreateAnswer_PeerOffer_PicksTheCodecsWeDecode(string sample, string[] payloadTypes)
    {
        var video = Answer(sample).Media[0];

        Assert.Equal(payloadTypes, video.Formats);
        Assert.Equal(SdpDirection.RecvOnly, video.Direction);
        Assert.Equal(SdpSetupRole.Active, video.Setup);
    }

    [Fact]
    public void CreateAnswer_ChromiumH264Offer_DropsMode0MainAndUnsupportedFeedback()
    {
        var answer = Answer("chromium-offer-H264.sdp");
        var video = answer.Media[0];

        // 104/114 are packetization-mode 0, 116/39 Main profile: none of them is ours.
        Assert.Equal("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", video.FindCodec(102)!.FormatParameters);
        Assert.Equal("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", video.FindCodec(108)!.FormatParameters);
        Assert.Equal([SdpRtcpFeedback.Fir, SdpRtcpFeedback.Nack, SdpRtcpFeedback.Pli], video.FindCodec(102)!.Feedback);
        Assert.Equal(102, video.FindCodec(103)!.AssociatedPayloadType);
        Assert.Equal([new SdpExtmap(2, null, SdpHeaderExtensions.AbsSendTime, null), new SdpExtmap(9, null, SdpHeaderExtensions.Mid, null)], video.Extmaps);
        Assert.True(video.RtcpReducedSize);
        Assert.False(answer.ExtmapAllowMixed);
        Assert.Equal(["0", "1"], answer.BundleMids);
        Assert.Equal(262144UL, answer.Media[1].MaxMessageSize);
    }

    [Fact]
    public void CreateAnswer_FeedbackConfigured_KeepsRembAndTransportCcAndTheirExtension()
    {
        var options = Options(o => new SdpLocalOptions
        {
            IceUfrag = o.IceUfrag,
            IcePwd = o.IcePwd,
            Fingerprints = o.Fingerprints,
            Feedback = SdpFeedback.Nack | SdpFeedback.Pli | SdpFeedback.GoogRemb | SdpFeedback.TransportCc,
            HeaderExtensions = [SdpHeaderExtensions.Mid, SdpHeaderExtensions.TransportWideCc],
            ExtmapAllowMixed = true,
        });

        var answer = Answer("chromium-offer-VP8.sdp", options);
        var video = answer.Media[0];

        Assert.Equal([SdpRtcpFeedback.GoogRemb, SdpRtcpFeedback.TransportCc, SdpRtcpFeedback.Nack, SdpRtcpFeedback.Pli], video.FindCodec(96)!.Feedback);
        Assert.Equal([4, 9], video.Extmaps.Select(e => e.Id));
        Assert.True(answer.ExtmapAllowMixed);
    }

    [Fact]
    public void CreateAnswer_PassiveConfigured_AnswersPassiveToActpass()
    {
        var answer = Answer("chromium-offer-VP8.sdp", Options(o => Copy(o, actPass: SdpSetupRole.Passive)));

        Assert.All(answer.Media, m => Assert.Equal(SdpSetupRole.Passive, m.Setup));
    }

    [Theory]
    [InlineData("active", SdpSetupRole.Passive)]
    [InlineData("passive", SdpSetupRole.Active)]
    public void CreateAnswer_OfferWithFixedRole_TakesTheOtherRole(string offered, SdpSetupRole expected)
    {
        var offer = SdpSamples.Text("aiortc-offer-VP8.sdp").Replace("a=setup:actpass", "a=setup:" + offered, StringComparison.Ordinal);

        var answer = SdpNegotiator.CreateAnswer(SessionDescription.Parse(offer), Options(o => Copy(o, actPass: SdpSetupRole.Passive)));

        Assert.All(answer.Media, m => Assert.Equal(expected, m.Setup));
    }

    [Fact]
    public void CreateAnswer_NoCommonVideoCodec_RejectsVideoButKeepsDataChannelAndBundle()
    {
        var options = Options(o => Copy(o, codecs: [SdpCodecCapability.Vp8]));

        var answer = Answer("aiortc-offer-H264.sdp", options);
        var video = answer.Media[0];

        Assert.Equal(0, video.Port);
        Assert.Equal("0", video.Mid);
        Assert.Equal(["99", "100", "101", "102"], video.Formats);
        Assert.Equal(SdpDirection.Inactive, video.Direction);
        Assert.True(video.RtcpMux);
        Assert.Empty(video.Candidates);
        Assert.Equal(SdpSetupRole.Active, video.Setup);
        Assert.Equal(9, answer.Media[1].Port);
        Assert.Equal(["1"], answer.BundleMids);
    }

    [Fact]
    public void CreateAnswer_Mode0OnlyH264_IsRejected()
    {
        var offer = SdpSamples.Text("aiortc-offer-H264.sdp").Replace("packetization-mode=1", "packetization-mode=0", StringComparison.Ordinal);

        var answer = SdpNegotiator.CreateAnswer(SessionDescription.Parse(offer), Options());

        Assert.Equal(0, answer.Media[0].Port);
    }

    [Theory]
    [InlineData("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e00a", "42e01f")]
    [InlineData("packetization-mode=1;profile-level-id=42e00a", "42e00a")]
    [InlineData("packetization-mode=1;profile-level-id=42e033", "42e01f")]
    [InlineData("packetization-mode=1", "42000a")]
    public void CreateAnswer_H264Level_FollowsRfc6184LevelRules(string offeredFmtp, string answeredProfileLevelId)
    {
        var offer = SdpSamples.Text("aiortc-offer-VP8.sdp")
            .Replace("a=rtpmap:97 VP8/90000", $"a=rtpmap:97 H264/90000\r\na=fmtp:97 {offeredFmtp}", StringComparison.Ordinal);

        var video = SdpNegotiator.CreateAnswer(SessionDescription.Parse(offer), Options()).Media[0];

        Assert.Equal(["97", "98"], video.Formats);
        Assert.Equal(answeredProfileLevelId, video.FindCodec(97)!.GetParameter("profile-level-id"));
    }

    [Theory]
    [InlineData("VP9", "profile-id=0", true)]
    [InlineData("VP9", null, true)]
    [InlineData("VP9", "profile-id=2", false)]
    [InlineData("AV1", "level-idx=5;profile=0;tier=0", true)]
    [InlineData("AV1", "profile=1", false)]
    public void CreateAnswer_Vp9OrAv1Configured_MatchesOnProfile(string name, string? fmtp, bool accepted)
    {
        var codec = $"a=rtpmap:96 {name}/90000" + (fmtp is null ? string.Empty : $"\r\na=fmtp:96 {fmtp}");
        var offer = SdpSamples.Text("chromium-offer-VP8.sdp").Replace("a=rtpmap:96 VP8/90000", codec, StringComparison.Ordinal);
        var options = Options(o => Copy(o, codecs: [SdpCodecCapability.Vp9(), SdpCodecCapability.Av1()]));

        var video = SdpNegotiator.CreateAnswer(SessionDescription.Parse(offer), options).Media[0];

        Assert.Equal(["96", "97"], video.Formats);
        Assert.Equal(accepted ? 9 : 0, video.Port);
        if (accepted)
        {
            Assert.Equal(fmtp, video.FindCodec(96)!.FormatParameters);
        }
    }

    [Fact]
    public void CreateAnswer_RtxOff_LeavesOutRetransmission()
    {
        var video = Answer("aiortc-offer-default.sdp", Options(o => Copy(o, rtx: false))).Media[0];

        Assert.Equal(["97", "99", "101"], video.Formats);
        Assert.DoesNotContain(video.Codecs, c => c.IsRtx);
    }

    [Fact]
    public void CreateAnswer_DataChannelsOff_RejectsTheApplicationLineAsOffered()
    {
        var answer = Answer("aiortc-offer-VP8.sdp", Options(o => Copy(o, dataChannels: false)));
        var data = answer.Media[1];

        Assert.Equal(0, data.Port);
        Assert.Equal("DTLS/SCTP", data.Protocol);
        Assert.Equal(["5000"], data.Formats);
        Assert.Null(data.SctpPort);
        Assert.Equal(["0"], answer.BundleMids);
    }

    [Theory]
    [InlineData(SdpUnsupportedMedia.Reject, 0, SdpDirection.Inactive)]
    [InlineData(SdpUnsupportedMedia.ReceiveAndDrop, 9, SdpDirection.RecvOnly)]
    public void CreateAnswer_AudioOffered_IsRejectedOrReceivedAndDropped(SdpUnsupportedMedia mode, int port, SdpDirection direction)
    {
        var offer = SessionDescription.Parse(WithAudio(SdpSamples.Text("chromium-offer-VP8.sdp")));

        var answer = SdpNegotiator.CreateAnswer(offer, Options(o => Copy(o, unsupported: mode)));

        Assert.Equal(["video", "audio", "application"], answer.Media.Select(m => m.Kind));
        var audio = answer.Media[1];
        Assert.Equal("2", audio.Mid);
        Assert.Equal(port, audio.Port);
        Assert.Equal(direction, audio.Direction);
        Assert.Equal("opus", audio.Codecs[0].Name);
        Assert.Equal(2, audio.Codecs[0].Channels);
        Assert.Equal(port == 0 ? ["0", "1"] : ["0", "2", "1"], answer.BundleMids);
        Assert.Equal(SdpSetupRole.Active, audio.Setup);
        SdpModelAssert.Equal(answer, SessionDescription.Parse(answer.ToString()));
    }

    [Fact]
    public void CreateAnswer_SendRecvWanted_AddsOurSsrcsAndMsid()
    {
        var offer = SdpSamples.Text("chromium-offer-VP8.sdp").Replace("a=sendonly", "a=sendrecv", StringComparison.Ordinal);
        var sender = new SdpMediaSender(11, 12, "cn", "stream", "track");

        var answer = SdpNegotiator.CreateAnswer(SessionDescription.Parse(offer), Options(o => Copy(o, direction: SdpDirection.SendRecv, sender: sender)));
        var video = answer.Media[0];

        Assert.Equal(SdpDirection.SendRecv, video.Direction);
        Assert.Equal(new SdpMsid("stream", "track"), Assert.Single(video.Msids));
        Assert.Equal([11u, 12u], Assert.Single(video.SsrcGroups).Ssrcs);
        Assert.Contains(new SdpSsrcAttribute(12, "cname", "cn"), video.Ssrcs);
        Assert.Equal(["stream"], answer.MsidSemantic!.Identifiers);
    }

    [Fact]
    public void CreateAnswer_TwoSendRecvVideoLines_SendsOnTheFirstOnly()
    {
        var text = SdpSamples.Text("aiortc-offer-VP8.sdp").Replace("a=sendonly", "a=sendrecv", StringComparison.Ordinal);
        var at = text.IndexOf("m=application", StringComparison.Ordinal);
        var second = text[text.IndexOf("m=video", StringComparison.Ordinal)..at].Replace("a=mid:0", "a=mid:2", StringComparison.Ordinal);
        var offer = SessionDescription.Parse(text[..at] + second + text[at..]);

        var answer = SdpNegotiator.CreateAnswer(offer, Options(o => Copy(o, direction: SdpDirection.SendRecv)));

        Assert.Equal([SdpDirection.SendRecv, SdpDirection.RecvOnly], answer.Media.Where(m => m.Kind == "video").Select(m => m.Direction));
        Assert.Empty(answer.Media[1].Ssrcs);
        Assert.Equal("2", answer.Media[1].Mid);
        Assert.NotEmpty(answer.Media[0].Ssrcs);
    }

    [Fact]
    public void CreateAnswer_NoFingerprint_ThrowsNamingIt()
    {
        var options = new SdpLocalOptions { IceUfrag = "Od1s", IcePwd = "0123456789abcdefghijkl", Fingerprints = [] };

        var error = Assert.Throws<ArgumentException>(() => Answer("aiortc-offer-VP8.sdp", options));

        Assert.Contains("Fingerprints", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateAnswer_CandidatesAndAddressGiven_PutsThemOnLiveLinesOnly()
    {
        var options = Options(o => Copy(o, codecs: [SdpCodecCapability.Vp8], candidates: ["1 1 udp 2130706431 127.0.0.1 40000 typ host"], address: new IPEndPoint(IPAddress.Loopback, 40000)));

        var answer = Answer("aiortc-offer-H264.sdp", options);

        Assert.Empty(answer.Media[0].Candidates);
        Assert.Equal(0, answer.Media[0].Port);
        var data = answer.Media[1];
        Assert.Equal(40000, data.Port);
        Assert.Equal(new SdpConnection("IN", "IP4", "127.0.0.1"), data.Connection);
        Assert.Equal("1 1 udp 2130706431 127.0.0.1 40000 typ host", Assert.Single(data.Candidates));
        Assert.True(data.EndOfCandidates);
    }

    [Fact]
    public void CreateAnswer_Always_WritesTextThatReparsesToTheSameModel()
    {
        foreach (var name in SdpSamples.Names.Where(n => n.Contains("offer", StringComparison.Ordinal)))
        {
            var answer = Answer(name);

            var text = answer.ToString();

            SdpModelAssert.Equal(answer, SessionDescription.Parse(text));
            Assert.Equal("77", answer.Origin.SessionId);
        }
    }

    [Fact]
    public void CreateAnswer_OfferWithoutBundleOrSetup_AnswersPassiveWithoutGroup()
    {
        var text = SdpSamples.Text("aiortc-offer-VP8.sdp")
            .Replace("a=group:BUNDLE 0 1\r\n", string.Empty, StringComparison.Ordinal)
            .Replace("a=setup:actpass\r\n", string.Empty, StringComparison.Ordinal);

        var answer = SdpNegotiator.CreateAnswer(SessionDescription.Parse(text), Options());

        Assert.Empty(answer.Groups);
        Assert.All(answer.Media, m => Assert.Equal(SdpSetupRole.Passive, m.Setup));
    }

    [Fact]
    public void CreateOffer_Default_SendsH264WithRtxFeedbackExtensionsSsrcsAndDataChannel()
    {
        var sender = new SdpMediaSender(1001, 1002, "cname1", "s1", "t1");
        var offer = SdpNegotiator.CreateOffer(Options(o => Copy(o, sender: sender)));

        var parsed = SessionDescription.Parse(offer.ToString());

        SdpModelAssert.Equal(offer, parsed);
        Assert.Equal(["0", "1"], parsed.BundleMids);
        var video = parsed.Media[0];
        Assert.Equal(["96", "97"], video.Formats);
        Assert.Equal("H264", video.FindCodec(96)!.Name);
        Assert.Equal("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", video.FindCodec(96)!.FormatParameters);
        Assert.Equal([SdpRtcpFeedback.Fir, SdpRtcpFeedback.Nack, SdpRtcpFeedback.Pli], video.FindCodec(96)!.Feedback);
        Assert.Equal(96, video.FindCodec(97)!.AssociatedPayloadType);
        Assert.Equal(SdpDirection.SendOnly, video.Direction);
        Assert.Equal(SdpSetupRole.ActPass, video.Setup);
        Assert.Equal(1, video.FindExtmapId(SdpHeaderExtensions.Mid));
        Assert.Equal(2, video.FindExtmapId(SdpHeaderExtensions.AbsSendTime));
        Assert.Equal("FID", Assert.Single(video.SsrcGroups).Semantics);
        Assert.Equal([1001u, 1002u], video.SsrcGroups[0].Ssrcs);
        Assert.Equal(
            [new("cname", "cname1"), new("msid", "s1 t1"), new("cname", "cname1"), new("msid", "s1 t1")],
            video.Ssrcs.Select(s => new KeyValuePair<string, string?>(s.Name, s.Value)));
        Assert.Equal(new SdpMsid("s1", "t1"), Assert.Single(video.Msids));
        Assert.True(video.RtcpMux);
        var data = parsed.Media[1];
        Assert.Equal("UDP/DTLS/SCTP", data.Protocol);
        Assert.Equal(5000, data.SctpPort);
        Assert.Equal(SdpSetupRole.ActPass, data.Setup);
    }

    [Fact]
    public void CreateOffer_Vp8Chosen_OffersVp8AndOurAnswerToItPicksIt()
    {
        var offer = SdpNegotiator.CreateOffer(Options(o => Copy(o, codecs: [SdpCodecCapability.Vp8, SdpCodecCapability.H264(H264Profile.ConstrainedBaseline)])));

        var answer = SdpNegotiator.CreateAnswer(SessionDescription.Parse(offer.ToString()), Options());

        Assert.Equal(["96", "97", "98", "99"], offer.Media[0].Formats);
        Assert.Equal("VP8", offer.Media[0].FindCodec(96)!.Name);
        Assert.Equal(["96", "97", "98", "99"], answer.Media[0].Formats);
        Assert.Equal(SdpDirection.RecvOnly, answer.Media[0].Direction);
        Assert.Equal(SdpSetupRole.Active, answer.Media[1].Setup);
    }

    [Fact]
    public void CreateOffer_RandomSender_UsesDistinctSsrcs()
    {
        var offer = SdpNegotiator.CreateOffer(Options());

        var group = Assert.Single(offer.Media[0].SsrcGroups);
        Assert.NotEqual(group.Ssrcs[0], group.Ssrcs[1]);
    }

    [Fact]
    public void CreateAnswer_BadActPassRole_ThrowsNamingTheOption()
    {
        var error = Assert.Throws<ArgumentException>(() => Answer("aiortc-offer-VP8.sdp", Options(o => Copy(o, actPass: SdpSetupRole.ActPass))));

        Assert.Contains("ActPassAnswer", error.Message, StringComparison.Ordinal);
    }

    private static string WithAudio(string offer)
    {
        const string Audio =
            "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 0\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:SOiI\r\n" +
            "a=ice-pwd:0ZCOs2sJbJ7AUTHOd2tCb3hg\r\na=setup:actpass\r\na=mid:2\r\na=sendonly\r\na=rtcp-mux\r\n" +
            "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n" +
            "a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\na=rtpmap:0 PCMU/8000\r\n";
        var bundled = offer.Replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0 2 1", StringComparison.Ordinal);
        var at = bundled.IndexOf("m=application", StringComparison.Ordinal);
        return bundled[..at] + Audio + bundled[at..];
    }

    private static SdpLocalOptions Copy(
        SdpLocalOptions o,
        SdpSetupRole? actPass = null,
        IReadOnlyList<SdpCodecCapability>? codecs = null,
        bool rtx = true,
        bool dataChannels = true,
        SdpUnsupportedMedia unsupported = SdpUnsupportedMedia.Reject,
        SdpDirection? direction = null,
        SdpMediaSender? sender = null,
        IReadOnlyList<string>? candidates = null,
        IPEndPoint? address = null) => new()
        {
            IceUfrag = o.IceUfrag,
            IcePwd = o.IcePwd,
            Fingerprints = o.Fingerprints,
            SessionId = o.SessionId,
            ActPassAnswer = actPass ?? o.ActPassAnswer,
            VideoCodecs = codecs ?? o.VideoCodecs,
            Rtx = rtx,
            DataChannels = dataChannels,
            UnsupportedMedia = unsupported,
            VideoDirection = direction,
            Sender = sender,
            Candidates = candidates ?? [],
            EndOfCandidates = candidates is not null,
            DefaultCandidate = address,
        };
}
