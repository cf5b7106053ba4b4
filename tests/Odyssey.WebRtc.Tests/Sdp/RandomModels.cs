using Odyssey.WebRtc.Sdp;

namespace Odyssey.WebRtc.Tests.Sdp;

/// <summary>
/// Random session descriptions built in code, every field filled from a seed: words, free text (with spaces,
/// colons and now and then a line break the writer must refuse), numbers in and out of range.
/// </summary>
internal static class RandomModels
{
    private const string WordChars = "abcXYZ019-_.+*#:/";
    private const string TextChars = "ab 1:/=;\t-";

    public static SessionDescription Create(int seed)
    {
#pragma warning disable CA5394 // reproducible test data, not security
        var r = new Random(seed);
        var session = new SessionDescription(new SdpOrigin(Word(r), Word(r), (ulong)r.NextInt64(), "IN", r.Next(2) == 0 ? "IP4" : "IP6", Word(r)))
        {
            SessionName = Text(r),
            Connection = r.Next(3) == 0 ? new SdpConnection("IN", "IP4", Word(r)) : null,
            Timing = new SdpTiming((ulong)r.Next(), (ulong)r.Next()),
            ExtmapAllowMixed = r.Next(2) == 0,
            MsidSemantic = r.Next(2) == 0 ? new SdpMsidSemantic(Word(r), Words(r)) : null,
            IceLite = r.Next(4) == 0,
            IceUfrag = Maybe(r, Text),
            IcePwd = Maybe(r, Text),
            Setup = r.Next(3) == 0 ? (SdpSetupRole)r.Next(4) : null,
        };
        session.Groups.Add(new SdpGroup("BUNDLE", Words(r)));
        session.IceOptions.AddRange(Words(r));
        AddFingerprints(r, session.Fingerprints);
        AddAttributes(r, session.Attributes);
        AddOtherLines(r, session.OtherLines, session.Connection is null && r.Next(20) != 0 ? "iuepbtrzkx" : "iuepcbtrzkx");
        for (var i = r.Next(4); i > 0; i--)
        {
            session.Media.Add(Media(r));
        }

        return session;
#pragma warning restore CA5394
    }

#pragma warning disable CA5394
    private static MediaDescription Media(Random r)
    {
        var kind = r.Next(3) switch { 0 => "video", 1 => "audio", _ => "application" };
        var protocol = kind == "application" ? (r.Next(2) == 0 ? "UDP/DTLS/SCTP" : "DTLS/SCTP") : "UDP/TLS/RTP/SAVPF";
        var media = new MediaDescription(kind, r.Next(200) == 0 ? 70000 : r.Next(65536), protocol)
        {
            PortCount = r.Next(5) == 0 ? r.Next(1, 4) : null,
            Connection = r.Next(2) == 0 ? new SdpConnection("IN", "IP4", Word(r)) : null,
            Rtcp = Maybe(r, Text),
            IceUfrag = Maybe(r, Text),
            IcePwd = Maybe(r, Text),
            Setup = r.Next(2) == 0 ? (SdpSetupRole)r.Next(4) : null,
            Mid = Maybe(r, Text),
            Direction = r.Next(2) == 0 ? (SdpDirection)r.Next(4) : null,
            RtcpMux = r.Next(2) == 0,
            RtcpReducedSize = r.Next(2) == 0,
            SctpPort = r.Next(3) == 0 ? r.Next(65536) : null,
            SctpMap = r.Next(4) == 0 ? new SdpSctpMap(r.Next(65536), Word(r), r.Next(2) == 0 ? r.Next(65536) : null) : null,
            MaxMessageSize = r.Next(3) == 0 ? (ulong)r.NextInt64() : null,
            EndOfCandidates = r.Next(2) == 0,
        };
        media.IceOptions.AddRange(Words(r));
        AddFingerprints(r, media.Fingerprints);
        for (var i = r.Next(4); i > 0; i--)
        {
            media.Extmaps.Add(new SdpExtmap(r.Next(1, 300), r.Next(3) == 0 ? (SdpDirection)r.Next(4) : null, Word(r), Maybe(r, Text)));
        }

        for (var i = r.Next(3); i > 0; i--)
        {
            media.Msids.Add(new SdpMsid(Word(r), Maybe(r, Text)));
        }

        if (media.IsRtp)
        {
            for (var i = r.Next(5); i > 0; i--)
            {
                var pt = r.Next(400) == 0 ? 128 : r.Next(128);
                if (media.FindCodec(pt) is not null)
                {
                    continue;
                }

                var codec = new SdpCodec(pt)
                {
                    Name = r.Next(5) == 0 ? null : Word(r).Replace("/", string.Empty, StringComparison.Ordinal) + "x",
                    ClockRate = r.Next(1, 100000),
                    Channels = r.Next(4) == 0 ? r.Next(1, 3) : null,
                    FormatParameters = Maybe(r, Text),
                };
                for (var j = r.Next(3); j > 0; j--)
                {
                    codec.Feedback.Add(new SdpRtcpFeedback(Word(r), Maybe(r, Text)));
                }

                media.Codecs.Add(codec);
                media.Formats.Add(pt.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        else
        {
            media.Formats.AddRange(Words(r));
        }

        for (var i = r.Next(3); i > 0; i--)
        {
            media.SsrcGroups.Add(new SdpSsrcGroup("FID", [(uint)r.NextInt64(uint.MaxValue), (uint)r.NextInt64(uint.MaxValue)]));
        }

        for (var i = r.Next(4); i > 0; i--)
        {
            media.Ssrcs.Add(new SdpSsrcAttribute((uint)r.NextInt64(uint.MaxValue), Word(r).Replace(":", string.Empty, StringComparison.Ordinal), Maybe(r, Text)));
        }

        for (var i = r.Next(3); i > 0; i--)
        {
            media.Candidates.Add(Text(r));
        }

        AddAttributes(r, media.Attributes);
        // A kept c= line without the typed one first is refused; keep that case rare.
        AddOtherLines(r, media.OtherLines, media.Connection is null && r.Next(20) != 0 ? "ibkxy" : "icbkxy");
        return media;
    }

    private static void AddFingerprints(Random r, List<SdpFingerprint> list)
    {
        for (var i = r.Next(3); i > 0; i--)
        {
            list.Add(new SdpFingerprint("sha-256", r.Next(100) == 0 ? "XY" : string.Join(':', Enumerable.Range(0, r.Next(1, 6)).Select(_ => r.Next(256).ToString("X2", System.Globalization.CultureInfo.InvariantCulture)))));
        }
    }

    private static void AddAttributes(Random r, List<SdpAttribute> list)
    {
        for (var i = r.Next(4); i > 0; i--)
        {
            var name = r.Next(4) == 0 ? (r.Next(2) == 0 ? "mid" : "sendonly") : "x-" + Word(r).Replace(":", string.Empty, StringComparison.Ordinal);
            list.Add(new SdpAttribute(name, Maybe(r, Text)));
        }
    }

    private static void AddOtherLines(Random r, List<SdpLine> list, string types)
    {
        for (var i = r.Next(3); i > 0; i--)
        {
            list.Add(new SdpLine(types[r.Next(types.Length)], Text(r)));
        }
    }

    private static string Word(Random r)
    {
        // One word in 400 breaks the rules (a space or a line break): the writer must refuse it.
        var word = Pick(r, WordChars, r.Next(1, 9));
        return r.Next(400) == 0 ? word + (r.Next(2) == 0 ? " x" : "\n") : word;
    }

    private static string Text(Random r)
    {
        var text = Pick(r, TextChars, r.Next(0, 12));
        return r.Next(600) == 0 ? text + "\r\n" : text;
    }

    private static string[] Words(Random r) => Enumerable.Range(0, r.Next(4)).Select(_ => Word(r)).ToArray();

    private static string? Maybe(Random r, Func<Random, string> make) => r.Next(2) == 0 ? make(r) : null;

    private static string Pick(Random r, string chars, int length) =>
        new(Enumerable.Range(0, length).Select(_ => chars[r.Next(chars.Length)]).ToArray());
#pragma warning restore CA5394
}
