using System.Globalization;
using System.Net.Sockets;

namespace Odyssey.WebRtc.Sdp;

/// <summary>
/// Builds our side of the offer/answer exchange (RFC 3264, JSEP RFC 8829 §5.2 and §5.3): an answer to a peer's
/// offer (the Odyssey client role) and an offer to send video (the emulator role).
/// </summary>
public static class SdpNegotiator
{
    /// <summary>JSEP §5.2.1: the m-line port and c= address before any candidate is known.</summary>
    private const int PlaceholderPort = 9;

    private const string PlaceholderAddress = "0.0.0.0";

    /// <summary>JSEP §5.2.1: the rtcp attribute that goes with the placeholder port (RFC 3605).</summary>
    private const string PlaceholderRtcp = "9 IN IP4 0.0.0.0";

    /// <summary>Chromium starts at 2; any start works, later descriptions of the session count up from it.</summary>
    private const ulong InitialSessionVersion = 2;

    /// <summary>RFC 3551 §6: 96-127 are dynamic payload types.</summary>
    private const int FirstDynamicPayloadType = 96;

    private const int LastDynamicPayloadType = 127;

    private const string DataChannelProtocol = "UDP/DTLS/SCTP";

    private const string DataChannelFormat = "webrtc-datachannel";

    /// <summary>Payload types that repair or pad another stream rather than carry media of their own.</summary>
    private static readonly string[] AuxiliaryCodecs = ["rtx", "red", "ulpfec", "flexfec-03", "CN", "telephone-event"];

    /// <summary>
    /// The answer to <paramref name="offer"/>: one m-line per offered m-line with the same mid; video with the
    /// offered codecs we handle; a data channel in the modern form; everything else rejected (or received and
    /// dropped, per <see cref="SdpLocalOptions.UnsupportedMedia"/>). Never fails on what the offer contains.
    /// </summary>
    public static SessionDescription CreateAnswer(SessionDescription offer, SdpLocalOptions options)
    {
        ArgumentNullException.ThrowIfNull(offer);
        Validate(options);
        var answerRole = options.ActPassAnswer is SdpSetupRole.Active or SdpSetupRole.Passive
            ? options.ActPassAnswer
            : throw new ArgumentException($"ActPassAnswer must be Active or Passive, not {options.ActPassAnswer}", nameof(options));
        var answer = NewSession(options);
        SdpMediaSender? sender = null;
        foreach (var offered in offer.Media)
        {
            var setup = offer.SetupOf(offered) switch
            {
                SdpSetupRole.Active => SdpSetupRole.Passive,
                SdpSetupRole.Passive => SdpSetupRole.Active,
                // RFC 4145 §4.1: an offer without a=setup means active, so we take passive.
                null => SdpSetupRole.Passive,
                // actpass, and holdconn (which WebRTC does not use): the configured role.
                _ => answerRole,
            };
            var accepted = AnswerMedia(offered, options, ref sender);
            var media = accepted ?? Rejected(offered);
            AddTransport(media, options, setup, accepted is not null);
            answer.Media.Add(media);
        }

        var bundle = offer.BundleMids;
        if (bundle.Count > 0)
        {
            // RFC 9143 §7.3.3: the answer's group lists the offered mids it accepted, in the offer's order.
            var accepted = bundle.Where(mid => answer.Media.Exists(m => m.Port != 0 && m.Mid == mid)).ToArray();
            if (accepted.Length > 0)
            {
                answer.Groups.Add(new SdpGroup("BUNDLE", accepted));
            }
        }

        answer.ExtmapAllowMixed = offer.ExtmapAllowMixed && options.ExtmapAllowMixed;
        answer.MsidSemantic = new SdpMsidSemantic("WMS", [sender?.StreamId ?? "*"]);
        return answer;
    }

    /// <summary>
    /// An offer that sends video (mid 0) with the configured codecs, RTX, feedback, header extensions and SSRCs,
    /// plus a data channel (mid 1), bundled, with <c>a=setup:actpass</c> (RFC 5763 §5).
    /// </summary>
    public static SessionDescription CreateOffer(SdpLocalOptions options)
    {
        Validate(options);
        var session = NewSession(options);
        var codecs = options.VideoCodecs ?? [SdpCodecCapability.H264(H264Profile.ConstrainedBaseline)];
        if (codecs.Count == 0)
        {
            throw new ArgumentException("an offer needs at least one video codec", nameof(options));
        }

        var video = new MediaDescription("video", 0, "UDP/TLS/RTP/SAVPF")
        {
            Mid = "0",
            Rtcp = PlaceholderRtcp,
            RtcpMux = true,
            RtcpReducedSize = options.ReducedSizeRtcp,
            Direction = options.VideoDirection ?? SdpDirection.SendOnly,
        };
        for (var i = 0; i < options.HeaderExtensions.Count; i++)
        {
            // One-byte header ids are 1-14 (RFC 8285 §4.2); ids follow the list.
            video.Extmaps.Add(new SdpExtmap(i + 1, null, options.HeaderExtensions[i], null));
        }

        var payloadType = FirstDynamicPayloadType;
        foreach (var capability in codecs)
        {
            var needed = options.Rtx ? 2 : 1;
            if (payloadType + needed - 1 > LastDynamicPayloadType)
            {
                throw new ArgumentException($"{codecs.Count} codecs do not fit in the dynamic payload types 96-127", nameof(options));
            }

            var codec = new SdpCodec(payloadType) { Name = capability.Name, ClockRate = capability.ClockRate, FormatParameters = OfferParameters(capability) };
            AddFeedback(codec.Feedback, options.Feedback);
            video.Codecs.Add(codec);
            if (options.Rtx)
            {
                video.Codecs.Add(new SdpCodec(payloadType + 1) { Name = "rtx", ClockRate = capability.ClockRate, FormatParameters = $"apt={payloadType}" });
            }

            payloadType += needed;
        }

        foreach (var codec in video.Codecs)
        {
            video.Formats.Add(codec.PayloadType.ToString(CultureInfo.InvariantCulture));
        }

        var sender = options.Sender;
        if (video.Direction is SdpDirection.SendOnly or SdpDirection.SendRecv)
        {
            sender ??= SdpMediaSender.CreateRandom();
            AddSender(video, sender, options.Rtx);
        }

        AddTransport(video, options, SdpSetupRole.ActPass, true);
        session.Media.Add(video);
        if (options.DataChannels)
        {
            var data = DataChannel(options);
            data.Mid = "1";
            AddTransport(data, options, SdpSetupRole.ActPass, true);
            session.Media.Add(data);
        }

        session.Groups.Add(new SdpGroup("BUNDLE", session.Media.Select(m => m.Mid!).ToArray()));
        session.MsidSemantic = new SdpMsidSemantic("WMS", [sender?.StreamId ?? "*"]);
        return session;
    }

    private static MediaDescription? AnswerMedia(MediaDescription offered, SdpLocalOptions options, ref SdpMediaSender? sender)
    {
        if (offered.Port == 0 && !offered.Attributes.Exists(a => a.Name == "bundle-only"))
        {
            // RFC 3264 §6: a rejected offered stream stays rejected (bundle-only lines have port 0 but are live).
            return null;
        }

        if (offered.IsRtp && IsSecureRtp(offered.Protocol))
        {
            if (offered.Kind == "video")
            {
                return AnswerVideo(offered, options, ref sender);
            }

            return options.UnsupportedMedia == SdpUnsupportedMedia.ReceiveAndDrop ? AnswerDropped(offered, options) : null;
        }

        if (options.DataChannels && offered.Protocol is "UDP/DTLS/SCTP" or "DTLS/SCTP")
        {
            // Modern form even for aiortc's legacy "DTLS/SCTP 5000" + sctpmap offer: aiortc reads a=sctp-port then.
            var data = DataChannel(options);
            data.Mid = offered.Mid;
            return data;
        }

        return null;
    }

    private static MediaDescription? AnswerVideo(MediaDescription offered, SdpLocalOptions options, ref SdpMediaSender? sender)
    {
        // One sending stream: once an m-line took it, further video m-lines only receive.
        var wanted = options.VideoDirection ?? SdpDirection.RecvOnly;
        if (sender is not null)
        {
            wanted = wanted is SdpDirection.SendRecv or SdpDirection.RecvOnly ? SdpDirection.RecvOnly : SdpDirection.Inactive;
        }

        var capabilities = options.VideoCodecs ?? SdpCodecCapability.DefaultReceive;
        var media = NewRtpMedia(offered, options);
        var accepted = new HashSet<int>();
        foreach (var codec in OfferedCodecs(offered))
        {
            if (codec.IsRtx)
            {
                continue;
            }

            var capability = capabilities.FirstOrDefault(c => c.Matches(codec));
            if (capability is null)
            {
                continue;
            }

            var answered = CopyCodec(codec);
            answered.FormatParameters = capability.Name == "H264" ? H264AnswerParameters(codec, capability) : codec.FormatParameters;
            foreach (var feedback in codec.Feedback)
            {
                if (IsSupported(feedback, options.Feedback))
                {
                    answered.Feedback.Add(feedback);
                }
            }

            media.Codecs.Add(answered);
            accepted.Add(codec.PayloadType);
        }

        if (accepted.Count == 0)
        {
            return null;
        }

        // RTX in the offerer's order next to its primary: a second pass, since apt can point forwards.
        var ordered = new List<SdpCodec>();
        foreach (var codec in OfferedCodecs(offered))
        {
            if (accepted.Contains(codec.PayloadType))
            {
                ordered.Add(media.FindCodec(codec.PayloadType)!);
            }
            else if (options.Rtx && codec.IsRtx && codec.AssociatedPayloadType is { } apt && accepted.Contains(apt))
            {
                ordered.Add(CopyCodecWithParameters(codec));
            }
        }

        media.Codecs.Clear();
        media.Codecs.AddRange(ordered);
        SetFormats(media);
        media.Direction = AnswerDirection(offered.EffectiveDirection, wanted);
        if (media.Direction is SdpDirection.SendOnly or SdpDirection.SendRecv)
        {
            sender = options.Sender ?? SdpMediaSender.CreateRandom();
            AddSender(media, sender, options.Rtx && media.Codecs.Exists(c => c.IsRtx));
        }

        return media;
    }

    private static void Validate(SdpLocalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.IceUfrag) || string.IsNullOrEmpty(options.IcePwd))
        {
            throw new ArgumentException("IceUfrag and IcePwd are needed on every m-line (RFC 8839 §5.4)", nameof(options));
        }

        if (options.Fingerprints is null || options.Fingerprints.Count == 0)
        {
            throw new ArgumentException("Fingerprints must name our DTLS certificate (RFC 8122 §5)", nameof(options));
        }
    }

    private static MediaDescription? AnswerDropped(MediaDescription offered, SdpLocalOptions options)
    {
        // Any real codec will do: the packets are dropped unread, the answer only has to be acceptable.
        var codec = OfferedCodecs(offered).FirstOrDefault(c => !AuxiliaryCodecs.Contains(c.Name, StringComparer.OrdinalIgnoreCase));
        if (codec is null)
        {
            return null;
        }

        var media = NewRtpMedia(offered, options);
        media.Codecs.Add(CopyCodecWithParameters(codec));
        SetFormats(media);
        media.Direction = AnswerDirection(offered.EffectiveDirection, SdpDirection.RecvOnly);
        return media;
    }

    private static MediaDescription NewRtpMedia(MediaDescription offered, SdpLocalOptions options)
    {
        var media = new MediaDescription(offered.Kind, 0, offered.Protocol)
        {
            Mid = offered.Mid,
            Rtcp = PlaceholderRtcp,
            // Our transport is always muxed; aiortc refuses an audio/video answer without rtcp-mux.
            RtcpMux = true,
            RtcpReducedSize = offered.RtcpReducedSize && options.ReducedSizeRtcp,
        };
        foreach (var extmap in offered.Extmaps)
        {
            if (options.HeaderExtensions.Contains(extmap.Uri) && media.FindExtmapId(extmap.Uri) is null)
            {
                media.Extmaps.Add(new SdpExtmap(extmap.Id, null, extmap.Uri, null));
            }
        }

        return media;
    }

    private static MediaDescription Rejected(MediaDescription offered)
    {
        var media = new MediaDescription(offered.Kind, 0, offered.Protocol) { Mid = offered.Mid };
        media.Formats.AddRange(offered.Formats);
        if (offered.IsRtp)
        {
            // aiortc 1.4 negotiates codecs and demands rtcp-mux even on a port-0 line; echoing the
            // offered rtpmaps lets it accept the rejection instead of failing the whole answer.
            foreach (var codec in offered.Codecs)
            {
                if (codec.Name is not null)
                {
                    media.Codecs.Add(CopyCodecWithParameters(codec));
                }
            }

            media.RtcpMux = true;
            media.Direction = SdpDirection.Inactive;
        }

        return media;
    }

    private static MediaDescription DataChannel(SdpLocalOptions options)
    {
        var media = new MediaDescription("application", 0, DataChannelProtocol)
        {
            SctpPort = options.SctpPort,
            MaxMessageSize = options.MaxMessageSize,
        };
        media.Formats.Add(DataChannelFormat);
        return media;
    }

    /// <summary>ICE, DTLS and address lines; aiortc wants ufrag, pwd and setup on every m-line, rejected ones too.</summary>
    private static void AddTransport(MediaDescription media, SdpLocalOptions options, SdpSetupRole setup, bool live)
    {
        var address = options.DefaultCandidate;
        media.Connection = new SdpConnection(
            "IN",
            address?.AddressFamily == AddressFamily.InterNetworkV6 ? "IP6" : "IP4",
            address?.Address.ToString() ?? PlaceholderAddress);
        if (live)
        {
            media.Port = address?.Port ?? PlaceholderPort;
        }

        media.IceUfrag = options.IceUfrag;
        media.IcePwd = options.IcePwd;
        if (options.Trickle)
        {
            media.IceOptions.Add("trickle");
        }

        media.Fingerprints.AddRange(options.Fingerprints);
        media.Setup = setup;
        if (live)
        {
            media.Candidates.AddRange(options.Candidates);
            media.EndOfCandidates = options.EndOfCandidates;
        }
    }

    private static void AddSender(MediaDescription media, SdpMediaSender sender, bool rtx)
    {
        media.Msids.Add(new SdpMsid(sender.StreamId, sender.TrackId));
        var msid = $"{sender.StreamId} {sender.TrackId}";
        if (rtx && sender.RtxSsrc is { } rtxSsrc)
        {
            media.SsrcGroups.Add(new SdpSsrcGroup("FID", [sender.Ssrc, rtxSsrc]));
            AddSsrc(media, sender.Ssrc, sender.CName, msid);
            AddSsrc(media, rtxSsrc, sender.CName, msid);
        }
        else
        {
            AddSsrc(media, sender.Ssrc, sender.CName, msid);
        }
    }

    private static void AddSsrc(MediaDescription media, uint ssrc, string cname, string msid)
    {
        media.Ssrcs.Add(new SdpSsrcAttribute(ssrc, "cname", cname));
        media.Ssrcs.Add(new SdpSsrcAttribute(ssrc, "msid", msid));
    }

    private static SessionDescription NewSession(SdpLocalOptions options)
    {
        var id = options.SessionId ?? RandomSessionId();
        return new SessionDescription(new SdpOrigin("-", id.ToString(CultureInfo.InvariantCulture), InitialSessionVersion, "IN", "IP4", "127.0.0.1"));
    }

    private static ulong RandomSessionId()
    {
        // RFC 8866 §5.2 / JSEP §5.2.1: a random 63-bit number (top bit clear so it also fits a signed long).
        Span<byte> bytes = stackalloc byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes) >> 1;
    }

    /// <summary>The offered payload types in m-line order that have an rtpmap.</summary>
    private static IEnumerable<SdpCodec> OfferedCodecs(MediaDescription offered)
    {
        foreach (var format in offered.Formats)
        {
            if (int.TryParse(format, NumberStyles.None, CultureInfo.InvariantCulture, out var pt) && offered.FindCodec(pt) is { Name: not null } codec)
            {
                yield return codec;
            }
        }
    }

    private static SdpCodec CopyCodec(SdpCodec codec) =>
        new(codec.PayloadType) { Name = codec.Name, ClockRate = codec.ClockRate, Channels = codec.Channels };

    private static SdpCodec CopyCodecWithParameters(SdpCodec codec)
    {
        var copy = CopyCodec(codec);
        copy.FormatParameters = codec.FormatParameters;
        return copy;
    }

    private static void SetFormats(MediaDescription media)
    {
        foreach (var codec in media.Codecs)
        {
            media.Formats.Add(codec.PayloadType.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// RFC 6184 §8.2.2: with level-asymmetry-allowed we state the level we can receive; without it both
    /// directions use the lower of the two levels. The profile bytes stay the offerer's.
    /// </summary>
    private static string H264AnswerParameters(SdpCodec offered, SdpCodecCapability capability)
    {
        if (!H264ProfileLevelId.TryParse(offered.GetParameter("profile-level-id"), out var offeredId))
        {
            offeredId = H264ProfileLevelId.Default;
        }

        var local = offeredId with { LevelIdc = capability.H264Level };
        var asymmetric = offered.GetParameter("level-asymmetry-allowed") == "1";
        var level = asymmetric || local.LevelRank < offeredId.LevelRank ? capability.H264Level : offeredId.LevelIdc;
        var answered = offeredId with { LevelIdc = level };
        return string.Create(CultureInfo.InvariantCulture, $"level-asymmetry-allowed=1;packetization-mode={capability.H264PacketizationMode};profile-level-id={answered}");
    }

    private static string? OfferParameters(SdpCodecCapability capability) => capability.Name switch
    {
        "H264" => string.Create(
            CultureInfo.InvariantCulture,
            $"level-asymmetry-allowed=1;packetization-mode={capability.H264PacketizationMode};profile-level-id={H264ProfileLevelId.From(capability.H264Profile ?? H264Profile.ConstrainedBaseline, capability.H264Level)}"),
        "VP9" => string.Create(CultureInfo.InvariantCulture, $"profile-id={capability.Profile}"),
        "AV1" => string.Create(CultureInfo.InvariantCulture, $"profile={capability.Profile}"),
        _ => null,
    };

    private static void AddFeedback(List<SdpRtcpFeedback> list, SdpFeedback supported)
    {
        // Chromium's order.
        ReadOnlySpan<(SdpFeedback Flag, SdpRtcpFeedback Line)> all =
        [
            (SdpFeedback.GoogRemb, SdpRtcpFeedback.GoogRemb),
            (SdpFeedback.TransportCc, SdpRtcpFeedback.TransportCc),
            (SdpFeedback.Fir, SdpRtcpFeedback.Fir),
            (SdpFeedback.Nack, SdpRtcpFeedback.Nack),
            (SdpFeedback.Pli, SdpRtcpFeedback.Pli),
        ];
        foreach (var (flag, line) in all)
        {
            if ((supported & flag) != 0)
            {
                list.Add(line);
            }
        }
    }

    private static bool IsSupported(SdpRtcpFeedback feedback, SdpFeedback supported)
    {
        var flag = (feedback.Type.ToLowerInvariant(), feedback.Parameter?.ToLowerInvariant()) switch
        {
            ("nack", null) => SdpFeedback.Nack,
            ("nack", "pli") => SdpFeedback.Pli,
            ("ccm", "fir") => SdpFeedback.Fir,
            ("goog-remb", null) => SdpFeedback.GoogRemb,
            ("transport-cc", null) => SdpFeedback.TransportCc,
            _ => SdpFeedback.None,
        };
        return flag != SdpFeedback.None && (supported & flag) != 0;
    }

    /// <summary>RFC 3264 §6.1: we receive only what the peer sends and send only what it receives.</summary>
    private static SdpDirection AnswerDirection(SdpDirection offered, SdpDirection wanted)
    {
        var peerSends = offered is SdpDirection.SendRecv or SdpDirection.SendOnly;
        var peerReceives = offered is SdpDirection.SendRecv or SdpDirection.RecvOnly;
        var receive = peerSends && wanted is SdpDirection.SendRecv or SdpDirection.RecvOnly;
        var send = peerReceives && wanted is SdpDirection.SendRecv or SdpDirection.SendOnly;
        return (send, receive) switch
        {
            (true, true) => SdpDirection.SendRecv,
            (true, false) => SdpDirection.SendOnly,
            (false, true) => SdpDirection.RecvOnly,
            _ => SdpDirection.Inactive,
        };
    }

    private static bool IsSecureRtp(string protocol) =>
        protocol is "UDP/TLS/RTP/SAVPF" or "UDP/TLS/RTP/SAVP" or "RTP/SAVPF" or "RTP/SAVP";
}
