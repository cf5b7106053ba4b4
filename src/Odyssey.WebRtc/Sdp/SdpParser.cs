using System.Globalization;

namespace Odyssey.WebRtc.Sdp;

/// <summary>
/// SDP text → <see cref="SessionDescription"/>. Tolerant where RFC 8866 asks for tolerance (LF or CRLF, blank
/// lines, unknown line types and attributes, which are kept), strict where a wrong value would mislead the
/// connection (ports, payload types, rtpmap, fingerprints, setup roles, SSRCs).
/// </summary>
/// <remarks>
/// A typed attribute seen a second time, or in a form the model cannot hold (a flag with a value, a value-less
/// <c>a=mid</c>), is kept as an unknown attribute instead; the writer puts unknown attributes after the typed
/// ones, so the first occurrence stays first and a round trip gives back an equal model.
/// </remarks>
internal static class SdpParser
{
    /// <summary>RFC 3551 §3: payload types are 7 bits.</summary>
    private const int MaxPayloadType = 127;

    /// <summary>RFC 8285 §5: 1-255 for the two-byte form, 4096-4351 only while negotiating; 0 is never valid.</summary>
    private const int MaxExtmapId = 4351;

    public static SessionDescription Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var state = new State();
        var lineNumber = 0;
        var lastLine = 0;
        var start = 0;
        while (start <= text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }

            lineNumber++;
            var line = text.AsSpan(start, end - start);
            if (line.EndsWith("\r"))
            {
                line = line[..^1];
            }

            start = end + 1;
            if (line.IsWhiteSpace())
            {
                continue;
            }

            ParseLine(state, line.ToString(), lineNumber);
            lastLine = lineNumber;
        }

        return state.Finish(lastLine);
    }

    private static void ParseLine(State state, string line, int lineNumber)
    {
        if (line.Length < 2 || line[1] != '=' || !char.IsAsciiLetter(line[0]))
        {
            throw new SdpParseException("expected <letter>=<value>", lineNumber, "line");
        }

        if (line.Contains('\r', StringComparison.Ordinal))
        {
            throw new SdpParseException("carriage return inside a line", lineNumber, "line");
        }

        var type = line[0];
        var value = line[2..];
        if (!state.VersionSeen)
        {
            if (type != 'v')
            {
                throw new SdpParseException("the description must start with v=", lineNumber, "v=");
            }

            if (value != "0")
            {
                throw new SdpParseException($"version '{value}' is not 0", lineNumber, "v=");
            }

            state.VersionSeen = true;
            return;
        }

        if (type == 'm')
        {
            state.Media = ParseMediaLine(value, lineNumber);
            state.Session.Media.Add(state.Media);
            return;
        }

        if (state.Media is { } media)
        {
            ParseMediaLevel(media, type, value, lineNumber);
        }
        else
        {
            ParseSessionLevel(state, type, value, lineNumber);
        }
    }

    private static void ParseSessionLevel(State state, char type, string value, int lineNumber)
    {
        var session = state.Session;
        switch (type)
        {
            case 'v':
                throw new SdpParseException("second v= line", lineNumber, "v=");
            case 'o':
                if (state.OriginSeen)
                {
                    throw new SdpParseException("second o= line", lineNumber, "o=");
                }

                session.Origin = ParseOrigin(value, lineNumber);
                state.OriginSeen = true;
                return;
            case 's':
                if (state.NameSeen)
                {
                    throw new SdpParseException("second s= line", lineNumber, "s=");
                }

                session.SessionName = value;
                state.NameSeen = true;
                return;
            case 't' when !state.TimingSeen:
                session.Timing = ParseTiming(value, lineNumber);
                state.TimingSeen = true;
                return;
            case 'c' when session.Connection is null:
                session.Connection = ParseConnection(value, lineNumber);
                return;
            case 'a':
                ParseSessionAttribute(session, value, lineNumber);
                return;
            default:
                session.OtherLines.Add(new SdpLine(type, value));
                return;
        }
    }

    private static void ParseMediaLevel(MediaDescription media, char type, string value, int lineNumber)
    {
        switch (type)
        {
            case 'c' when media.Connection is null:
                media.Connection = ParseConnection(value, lineNumber);
                return;
            case 'a':
                ParseMediaAttribute(media, value, lineNumber);
                return;
            default:
                media.OtherLines.Add(new SdpLine(type, value));
                return;
        }
    }

    private static void ParseSessionAttribute(SessionDescription session, string attribute, int lineNumber)
    {
        var (name, value) = SplitAttribute(attribute);
        var handled = (name, value) switch
        {
            ("group", not null) => Add(session.Groups, ParseGroup(value)),
            ("extmap-allow-mixed", null) when !session.ExtmapAllowMixed => session.ExtmapAllowMixed = true,
            ("msid-semantic", not null) when session.MsidSemantic is null => Set(() => session.MsidSemantic = ParseMsidSemantic(value)),
            ("ice-lite", null) when !session.IceLite => session.IceLite = true,
            ("ice-ufrag", not null) when session.IceUfrag is null => Set(() => session.IceUfrag = value),
            ("ice-pwd", not null) when session.IcePwd is null => Set(() => session.IcePwd = value),
            ("ice-options", not null) => AddTokens(session.IceOptions, value),
            ("fingerprint", not null) => Add(session.Fingerprints, ParseFingerprint(value, lineNumber)),
            ("setup", not null) when session.Setup is null => Set(() => session.Setup = ParseSetup(value, lineNumber)),
            _ => false,
        };
        if (!handled)
        {
            session.Attributes.Add(new SdpAttribute(name, value));
        }
    }

    private static void ParseMediaAttribute(MediaDescription media, string attribute, int lineNumber)
    {
        var (name, value) = SplitAttribute(attribute);
        var handled = (name, value) switch
        {
            ("mid", not null) when media.Mid is null => Set(() => media.Mid = value),
            ("rtcp", not null) when media.Rtcp is null => Set(() => media.Rtcp = value),
            ("ice-ufrag", not null) when media.IceUfrag is null => Set(() => media.IceUfrag = value),
            ("ice-pwd", not null) when media.IcePwd is null => Set(() => media.IcePwd = value),
            ("ice-options", not null) => AddTokens(media.IceOptions, value),
            ("fingerprint", not null) => Add(media.Fingerprints, ParseFingerprint(value, lineNumber)),
            ("setup", not null) when media.Setup is null => Set(() => media.Setup = ParseSetup(value, lineNumber)),
            ("extmap", not null) => Add(media.Extmaps, ParseExtmap(value, lineNumber)),
            ("sendrecv", null) when media.Direction is null => Set(() => media.Direction = SdpDirection.SendRecv),
            ("sendonly", null) when media.Direction is null => Set(() => media.Direction = SdpDirection.SendOnly),
            ("recvonly", null) when media.Direction is null => Set(() => media.Direction = SdpDirection.RecvOnly),
            ("inactive", null) when media.Direction is null => Set(() => media.Direction = SdpDirection.Inactive),
            ("msid", not null) => Add(media.Msids, ParseMsid(value)),
            ("rtcp-mux", null) when !media.RtcpMux => media.RtcpMux = true,
            ("rtcp-rsize", null) when !media.RtcpReducedSize => media.RtcpReducedSize = true,
            ("rtpmap", not null) when media.IsRtp => ParseRtpmap(media, value, lineNumber),
            ("fmtp", not null) when media.IsRtp => ParseFmtp(media, value, lineNumber),
            ("rtcp-fb", not null) when media.IsRtp => ParseRtcpFeedback(media, value, lineNumber),
            ("ssrc", not null) => Add(media.Ssrcs, ParseSsrc(value, lineNumber)),
            ("ssrc-group", not null) => Add(media.SsrcGroups, ParseSsrcGroup(value, lineNumber)),
            ("sctp-port", not null) when media.SctpPort is null =>
                Set(() => media.SctpPort = ParseInt(value, 0, ushort.MaxValue, lineNumber, "a=sctp-port", "port")),
            ("sctpmap", not null) when media.SctpMap is null => Set(() => media.SctpMap = ParseSctpMap(value, lineNumber)),
            ("max-message-size", not null) when media.MaxMessageSize is null =>
                Set(() => media.MaxMessageSize = ParseULong(value, lineNumber, "a=max-message-size", "size")),
            ("candidate", not null) => Add(media.Candidates, value),
            ("end-of-candidates", null) when !media.EndOfCandidates => media.EndOfCandidates = true,
            _ => false,
        };
        if (!handled)
        {
            media.Attributes.Add(new SdpAttribute(name, value));
        }
    }

    private static MediaDescription ParseMediaLine(string value, int lineNumber)
    {
        const string Field = "m=";
        var tokens = Tokens(value);
        if (tokens.Length < 3)
        {
            throw new SdpParseException("expected <media> <port> <proto> <fmt> ...", lineNumber, Field);
        }

        var portText = tokens[1];
        int? count = null;
        var slash = portText.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            count = ParseInt(portText[(slash + 1)..], 1, ushort.MaxValue, lineNumber, Field, "port count");
            portText = portText[..slash];
        }

        var port = ParseInt(portText, 0, ushort.MaxValue, lineNumber, Field, "port");
        var media = new MediaDescription(tokens[0], port, tokens[2]) { PortCount = count };
        var rtp = media.IsRtp;
        var payloadTypes = new HashSet<int>();
        for (var i = 3; i < tokens.Length; i++)
        {
            // A payload type listed twice would give one m-line two codecs with the same number, which
            // no writer can express and no answer can be built from.
            if (rtp && !payloadTypes.Add(ParseInt(tokens[i], 0, MaxPayloadType, lineNumber, Field, "payload type")))
            {
                throw new SdpParseException($"payload type {tokens[i]} is listed twice", lineNumber, Field);
            }

            media.Formats.Add(tokens[i]);
        }

        return media;
    }

    private static SdpOrigin ParseOrigin(string value, int lineNumber)
    {
        var tokens = Tokens(value);
        if (tokens.Length != 6)
        {
            throw new SdpParseException("expected <username> <sess-id> <sess-version> <nettype> <addrtype> <address>", lineNumber, "o=");
        }

        var version = ParseULong(tokens[2], lineNumber, "o=", "sess-version");
        return new SdpOrigin(tokens[0], tokens[1], version, tokens[3], tokens[4], tokens[5]);
    }

    private static SdpTiming ParseTiming(string value, int lineNumber)
    {
        var tokens = Tokens(value);
        if (tokens.Length != 2)
        {
            throw new SdpParseException("expected <start-time> <stop-time>", lineNumber, "t=");
        }

        return new SdpTiming(ParseULong(tokens[0], lineNumber, "t=", "start-time"), ParseULong(tokens[1], lineNumber, "t=", "stop-time"));
    }

    private static SdpConnection ParseConnection(string value, int lineNumber)
    {
        var tokens = Tokens(value);
        if (tokens.Length != 3)
        {
            throw new SdpParseException("expected <nettype> <addrtype> <connection-address>", lineNumber, "c=");
        }

        return new SdpConnection(tokens[0], tokens[1], tokens[2]);
    }

    private static SdpGroup ParseGroup(string value)
    {
        var tokens = Tokens(value);
        return tokens.Length == 0 ? new SdpGroup(string.Empty, []) : new SdpGroup(tokens[0], tokens[1..]);
    }

    private static SdpMsidSemantic ParseMsidSemantic(string value)
    {
        // Chromium writes "msid-semantic: WMS id", aiortc "msid-semantic:WMS *": tokens make both one thing.
        var tokens = Tokens(value);
        return tokens.Length == 0 ? new SdpMsidSemantic(string.Empty, []) : new SdpMsidSemantic(tokens[0], tokens[1..]);
    }

    private static SdpMsid ParseMsid(string value)
    {
        var (stream, track) = SplitFirst(value);
        return new SdpMsid(stream, track);
    }

    private static SdpFingerprint ParseFingerprint(string value, int lineNumber)
    {
        const string Field = "a=fingerprint";
        var (algorithm, hash) = SplitFirst(value);
        if (algorithm.Length == 0 || hash is null)
        {
            throw new SdpParseException("expected <hash-function> <fingerprint>", lineNumber, Field);
        }

        if (!IsHexPairs(hash))
        {
            throw new SdpParseException($"fingerprint '{Shorten(hash)}' is not colon-separated hex pairs", lineNumber, Field);
        }

        return new SdpFingerprint(algorithm, hash);
    }

    /// <summary>RFC 8122 §5: pairs of hex digits separated by colons; anything else could never match a certificate.</summary>
    internal static bool IsHexPairs(string? hash)
    {
        var valid = hash is not null && hash.Length % 3 == 2;
        for (var i = 0; valid && i < hash!.Length; i++)
        {
            valid = i % 3 == 2 ? hash[i] == ':' : char.IsAsciiHexDigit(hash[i]);
        }

        return valid;
    }

    private static SdpSetupRole ParseSetup(string value, int lineNumber) => value.ToLowerInvariant() switch
    {
        "actpass" => SdpSetupRole.ActPass,
        "active" => SdpSetupRole.Active,
        "passive" => SdpSetupRole.Passive,
        "holdconn" => SdpSetupRole.HoldConn,
        _ => throw new SdpParseException($"'{Shorten(value)}' is not actpass, active, passive or holdconn", lineNumber, "a=setup"),
    };

    private static SdpExtmap ParseExtmap(string value, int lineNumber)
    {
        const string Field = "a=extmap";
        var (head, rest) = SplitFirst(value);
        if (rest is null)
        {
            throw new SdpParseException("expected <id>[/<direction>] <uri>", lineNumber, Field);
        }

        SdpDirection? direction = null;
        var slash = head.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            direction = head[(slash + 1)..] switch
            {
                "sendrecv" => SdpDirection.SendRecv,
                "sendonly" => SdpDirection.SendOnly,
                "recvonly" => SdpDirection.RecvOnly,
                "inactive" => SdpDirection.Inactive,
                var other => throw new SdpParseException($"direction '{Shorten(other)}' is unknown", lineNumber, Field),
            };
            head = head[..slash];
        }

        var id = ParseInt(head, 1, MaxExtmapId, lineNumber, Field, "id");
        var (uri, attributes) = SplitFirst(rest);
        return new SdpExtmap(id, direction, uri, attributes);
    }

    private static bool ParseRtpmap(MediaDescription media, string value, int lineNumber)
    {
        const string Field = "a=rtpmap";
        var (head, encoding) = SplitFirst(value);
        var codec = CodecFor(media, head, lineNumber, Field);
        if (codec.Name is not null)
        {
            return false;
        }

        var parts = encoding?.Split('/');
        if (parts is null || parts.Length is < 2 or > 3 || parts[0].Length == 0)
        {
            throw new SdpParseException("expected <pt> <encoding name>/<clock rate>[/<channels>]", lineNumber, Field);
        }

        var clockRate = ParseInt(parts[1], 1, int.MaxValue, lineNumber, Field, "clock rate");
        codec.Channels = parts.Length == 3 ? ParseInt(parts[2], 1, byte.MaxValue, lineNumber, Field, "channels") : null;
        codec.ClockRate = clockRate;
        codec.Name = parts[0];
        return true;
    }

    private static bool ParseFmtp(MediaDescription media, string value, int lineNumber)
    {
        var (head, parameters) = SplitFirst(value);
        var codec = CodecFor(media, head, lineNumber, "a=fmtp");
        if (codec.FormatParameters is not null)
        {
            return false;
        }

        codec.FormatParameters = parameters ?? string.Empty;
        return true;
    }

    private static bool ParseRtcpFeedback(MediaDescription media, string value, int lineNumber)
    {
        const string Field = "a=rtcp-fb";
        var (head, rest) = SplitFirst(value);
        if (head == "*")
        {
            // RFC 4585 §4.2 wildcard: applies to every payload type; kept as written rather than copied to each.
            return false;
        }

        var codec = CodecFor(media, head, lineNumber, Field);
        if (rest is null)
        {
            throw new SdpParseException("expected <pt> <feedback type> [<parameter>]", lineNumber, Field);
        }

        var (type, parameter) = SplitFirst(rest);
        codec.Feedback.Add(new SdpRtcpFeedback(type, parameter));
        return true;
    }

    private static SdpCodec CodecFor(MediaDescription media, string payloadTypeText, int lineNumber, string field)
    {
        var payloadType = ParseInt(payloadTypeText, 0, MaxPayloadType, lineNumber, field, "payload type");
        if (media.FindCodec(payloadType) is { } existing)
        {
            return existing;
        }

        var codec = new SdpCodec(payloadType);
        media.Codecs.Add(codec);
        return codec;
    }

    private static SdpSsrcAttribute ParseSsrc(string value, int lineNumber)
    {
        const string Field = "a=ssrc";
        var (head, rest) = SplitFirst(value);
        var ssrc = ParseUInt(head, lineNumber, Field);
        if (rest is null)
        {
            throw new SdpParseException("expected <ssrc-id> <attribute>[:<value>]", lineNumber, Field);
        }

        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? new SdpSsrcAttribute(ssrc, rest, null) : new SdpSsrcAttribute(ssrc, rest[..colon], rest[(colon + 1)..]);
    }

    private static SdpSsrcGroup ParseSsrcGroup(string value, int lineNumber)
    {
        var tokens = Tokens(value);
        if (tokens.Length == 0)
        {
            throw new SdpParseException("expected <semantics> <ssrc-id> ...", lineNumber, "a=ssrc-group");
        }

        var ssrcs = new uint[tokens.Length - 1];
        for (var i = 1; i < tokens.Length; i++)
        {
            ssrcs[i - 1] = ParseUInt(tokens[i], lineNumber, "a=ssrc-group");
        }

        return new SdpSsrcGroup(tokens[0], ssrcs);
    }

    private static SdpSctpMap ParseSctpMap(string value, int lineNumber)
    {
        const string Field = "a=sctpmap";
        var tokens = Tokens(value);
        if (tokens.Length is < 2 or > 3)
        {
            throw new SdpParseException("expected <port> <app> [<streams>]", lineNumber, Field);
        }

        var port = ParseInt(tokens[0], 0, ushort.MaxValue, lineNumber, Field, "port");
        int? streams = tokens.Length == 3 ? ParseInt(tokens[2], 0, ushort.MaxValue, lineNumber, Field, "streams") : null;
        return new SdpSctpMap(port, tokens[1], streams);
    }

    private static (string Name, string? Value) SplitAttribute(string attribute)
    {
        var colon = attribute.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (attribute, null) : (attribute[..colon], attribute[(colon + 1)..]);
    }

    /// <summary>The text up to the first space, and the rest after the spaces (null when nothing follows).</summary>
    internal static (string Head, string? Tail) SplitFirst(string value)
    {
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            return (value, null);
        }

        var rest = value[(space + 1)..].TrimStart(' ');
        return (value[..space], rest.Length == 0 ? null : rest);
    }

    private static string[] Tokens(string value) => value.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static int ParseInt(string text, int min, int max, int lineNumber, string field, string what)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            throw new SdpParseException($"{what} '{Shorten(text)}' is not a number in {min}..{max}", lineNumber, field);
        }

        return number;
    }

    private static ulong ParseULong(string text, int lineNumber, string field, string what)
    {
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw new SdpParseException($"{what} '{Shorten(text)}' is not an unsigned number", lineNumber, field);
        }

        return number;
    }

    private static uint ParseUInt(string text, int lineNumber, string field)
    {
        if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw new SdpParseException($"SSRC '{Shorten(text)}' is not a 32-bit unsigned number", lineNumber, field);
        }

        return number;
    }

    /// <summary>Keeps messages short when the bad value is a whole line of noise.</summary>
    private static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");

    private static bool Set(Action assign)
    {
        assign();
        return true;
    }

    private static bool Add<T>(List<T> list, T item)
    {
        list.Add(item);
        return true;
    }

    private static bool AddTokens(List<string> list, string value)
    {
        list.AddRange(Tokens(value));
        return true;
    }

    private sealed class State
    {
        private static readonly SdpOrigin Unset = new("-", "0", 0, "IN", "IP4", "0.0.0.0");

        public SessionDescription Session { get; } = new(Unset);

        public MediaDescription? Media { get; set; }

        public bool VersionSeen { get; set; }

        public bool OriginSeen { get; set; }

        public bool NameSeen { get; set; }

        public bool TimingSeen { get; set; }

        public SessionDescription Finish(int lastLine)
        {
            if (!VersionSeen)
            {
                throw new SdpParseException("no v= line: the text is empty", 0, "v=");
            }

            if (!OriginSeen)
            {
                throw new SdpParseException("no o= line", lastLine, "o=");
            }

            if (!NameSeen)
            {
                throw new SdpParseException("no s= line", lastLine, "s=");
            }

            SdpLineOrder.Sort(Session.OtherLines, SdpLineOrder.SessionRank);
            foreach (var media in Session.Media)
            {
                SdpLineOrder.Sort(media.OtherLines, SdpLineOrder.MediaRank);
            }

            return Session;
        }
    }
}
