using System.Globalization;
using System.Text;

namespace Odyssey.WebRtc.Sdp;

/// <summary>
/// <see cref="SessionDescription"/> → SDP text with CRLF line ends (RFC 8866 §5), known attributes in the
/// order Chromium writes them, kept attributes after them. Refuses values that would change the text's
/// meaning (a line break inside a value, a port or payload type out of range) instead of writing them.
/// </summary>
internal sealed class SdpWriter
{
    private const string LineEnd = "\r\n";

    private readonly StringBuilder _text = new();

    public static string Write(SessionDescription session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var writer = new SdpWriter();
        writer.WriteSession(session);
        foreach (var media in session.Media)
        {
            writer.WriteMedia(media);
        }

        return writer._text.ToString();
    }

    private void WriteSession(SessionDescription session)
    {
        Line('v', "0");
        var o = session.Origin ?? throw new ArgumentException("the origin (o=) is missing", nameof(session));
        Line('o', Join(Token(o.UserName, "o= username"), Token(o.SessionId, "o= sess-id"), o.SessionVersion.ToString(CultureInfo.InvariantCulture), Token(o.NetworkType, "o= nettype"), Token(o.AddressType, "o= addrtype"), Token(o.Address, "o= address")));
        Line('s', session.SessionName);
        CheckKeptConnections(session.OtherLines, session.Connection);
        OtherLines(session.OtherLines, true, 0, SdpLineOrder.SessionConnection);
        if (session.Connection is { } c)
        {
            Connection(c);
        }

        OtherLines(session.OtherLines, true, SdpLineOrder.SessionConnection, SdpLineOrder.SessionTiming);
        Line('t', Join(session.Timing.Start.ToString(CultureInfo.InvariantCulture), session.Timing.Stop.ToString(CultureInfo.InvariantCulture)));
        OtherLines(session.OtherLines, true, SdpLineOrder.SessionTiming, SdpLineOrder.SessionAttributes);
        foreach (var group in session.Groups)
        {
            Attribute("group", Join(group.Semantics, group.Mids));
        }

        if (session.ExtmapAllowMixed)
        {
            Attribute("extmap-allow-mixed", null);
        }

        if (session.MsidSemantic is { } semantic)
        {
            Attribute("msid-semantic", Join(semantic.Semantic, semantic.Identifiers));
        }

        if (session.IceLite)
        {
            Attribute("ice-lite", null);
        }

        IceAndDtls(session.IceUfrag, session.IcePwd, session.IceOptions, session.Fingerprints, session.Setup);
        Attributes(session.Attributes);
        OtherLines(session.OtherLines, true, SdpLineOrder.SessionAttributes, int.MaxValue);
    }

    private void WriteMedia(MediaDescription media)
    {
        WriteMediaLine(media);
        CheckKeptConnections(media.OtherLines, media.Connection);
        OtherLines(media.OtherLines, false, 0, SdpLineOrder.MediaConnection);
        if (media.Connection is { } c)
        {
            Connection(c);
        }

        OtherLines(media.OtherLines, false, SdpLineOrder.MediaConnection, SdpLineOrder.MediaAttributes);
        OptionalAttribute("rtcp", media.Rtcp);
        IceAndDtls(media.IceUfrag, media.IcePwd, media.IceOptions, media.Fingerprints, media.Setup);
        OptionalAttribute("mid", media.Mid);
        foreach (var extmap in media.Extmaps)
        {
            CheckRange(extmap.Id, 1, 4351, "a=extmap id");
            var id = extmap.Direction is { } direction
                ? string.Concat(extmap.Id.ToString(CultureInfo.InvariantCulture), "/", DirectionName(direction))
                : extmap.Id.ToString(CultureInfo.InvariantCulture);
            var uri = Token(extmap.Uri, "a=extmap uri");
            Attribute("extmap", extmap.Attributes is null ? Join(id, uri) : Join(id, uri, extmap.Attributes));
        }

        if (media.Direction is { } mediaDirection)
        {
            Attribute(DirectionName(mediaDirection), null);
        }

        foreach (var msid in media.Msids)
        {
            Attribute("msid", msid.TrackId is null ? msid.StreamId : Join(msid.StreamId, msid.TrackId));
        }

        if (media.RtcpMux)
        {
            Attribute("rtcp-mux", null);
        }

        if (media.RtcpReducedSize)
        {
            Attribute("rtcp-rsize", null);
        }

        foreach (var codec in media.Codecs)
        {
            WriteCodec(codec);
        }

        foreach (var group in media.SsrcGroups)
        {
            Attribute("ssrc-group", Join(Token(group.Semantics, "a=ssrc-group semantics"), group.Ssrcs.Select(s => s.ToString(CultureInfo.InvariantCulture))));
        }

        foreach (var ssrc in media.Ssrcs)
        {
            var id = ssrc.Ssrc.ToString(CultureInfo.InvariantCulture);
            if (string.IsNullOrEmpty(ssrc.Name) && ssrc.Value is null)
            {
                throw new ArgumentException($"a=ssrc:{id} needs an attribute name or value", nameof(media));
            }

            Attribute("ssrc", ssrc.Value is null ? Join(id, ssrc.Name) : string.Concat(id, " ", ssrc.Name, ":", ssrc.Value));
        }

        if (media.SctpPort is { } sctpPort)
        {
            CheckRange(sctpPort, 0, ushort.MaxValue, "a=sctp-port");
            Attribute("sctp-port", sctpPort.ToString(CultureInfo.InvariantCulture));
        }

        if (media.SctpMap is { } map)
        {
            CheckRange(map.Port, 0, ushort.MaxValue, "a=sctpmap port");
            var port = map.Port.ToString(CultureInfo.InvariantCulture);
            var application = Token(map.Application, "a=sctpmap app");
            Attribute("sctpmap", map.Streams is { } streams ? Join(port, application, streams.ToString(CultureInfo.InvariantCulture)) : Join(port, application));
        }

        if (media.MaxMessageSize is { } size)
        {
            Attribute("max-message-size", size.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var candidate in media.Candidates)
        {
            Attribute("candidate", candidate);
        }

        if (media.EndOfCandidates)
        {
            Attribute("end-of-candidates", null);
        }

        Attributes(media.Attributes);
        OtherLines(media.OtherLines, false, SdpLineOrder.MediaAttributes, int.MaxValue);
    }

    private void WriteMediaLine(MediaDescription media)
    {
        CheckRange(media.Port, 0, ushort.MaxValue, "m= port");
        var port = media.Port.ToString(CultureInfo.InvariantCulture);
        if (media.PortCount is { } count)
        {
            CheckRange(count, 1, ushort.MaxValue, "m= port count");
            port = string.Concat(port, "/", count.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var format in media.Formats)
        {
            Token(format, "m= format");
            if (media.IsRtp && (!int.TryParse(format, NumberStyles.None, CultureInfo.InvariantCulture, out var pt) || pt > 127))
            {
                throw new ArgumentException($"m= format '{format}' of an RTP line is not a payload type 0..127", nameof(media));
            }
        }

        Line('m', Join(Join(Token(media.Kind, "m= media"), port, Token(media.Protocol, "m= proto")), media.Formats));
    }

    private void WriteCodec(SdpCodec codec)
    {
        CheckRange(codec.PayloadType, 0, 127, "payload type");
        var pt = codec.PayloadType.ToString(CultureInfo.InvariantCulture);
        if (codec.Name is { } name)
        {
            if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal))
            {
                throw new ArgumentException($"a=rtpmap:{pt} encoding name '{name}' is empty or holds a '/'", nameof(codec));
            }

            CheckRange(codec.ClockRate, 1, int.MaxValue, "a=rtpmap clock rate");
            if (codec.Channels is { } count)
            {
                CheckRange(count, 1, byte.MaxValue, "a=rtpmap channels");
            }

            var encoding = string.Concat(name, "/", codec.ClockRate.ToString(CultureInfo.InvariantCulture));
            if (codec.Channels is { } channels)
            {
                encoding = string.Concat(encoding, "/", channels.ToString(CultureInfo.InvariantCulture));
            }

            Attribute("rtpmap", Join(pt, encoding));
        }

        foreach (var feedback in codec.Feedback)
        {
            var type = Token(feedback.Type, "a=rtcp-fb type");
            Attribute("rtcp-fb", feedback.Parameter is null ? Join(pt, type) : Join(pt, type, feedback.Parameter));
        }

        if (codec.FormatParameters is { } parameters)
        {
            Attribute("fmtp", parameters.Length == 0 ? pt : Join(pt, parameters));
        }
    }

    private void IceAndDtls(string? ufrag, string? pwd, List<string> options, List<SdpFingerprint> fingerprints, SdpSetupRole? setup)
    {
        OptionalAttribute("ice-ufrag", ufrag);
        OptionalAttribute("ice-pwd", pwd);
        if (options.Count > 0)
        {
            Attribute("ice-options", string.Join(' ', options));
        }

        foreach (var fingerprint in fingerprints)
        {
            if (!SdpParser.IsHexPairs(fingerprint.Value))
            {
                throw new ArgumentException($"fingerprint '{fingerprint.Value}' is not colon-separated hex pairs", nameof(fingerprints));
            }

            Attribute("fingerprint", Join(Token(fingerprint.Algorithm, "a=fingerprint hash function"), fingerprint.Value));
        }

        if (setup is { } role)
        {
            Attribute("setup", SetupName(role));
        }
    }

    internal static string SetupName(SdpSetupRole role) => role switch
    {
        SdpSetupRole.ActPass => "actpass",
        SdpSetupRole.Active => "active",
        SdpSetupRole.Passive => "passive",
        SdpSetupRole.HoldConn => "holdconn",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "not an a=setup role"),
    };

    internal static string DirectionName(SdpDirection direction) => direction switch
    {
        SdpDirection.SendRecv => "sendrecv",
        SdpDirection.SendOnly => "sendonly",
        SdpDirection.RecvOnly => "recvonly",
        SdpDirection.Inactive => "inactive",
        _ => throw new ArgumentOutOfRangeException(nameof(direction), direction, "not a media direction"),
    };

    private void Attributes(List<SdpAttribute> attributes)
    {
        foreach (var attribute in attributes)
        {
            Attribute(attribute.Name, attribute.Value);
        }
    }

    private void OtherLines(List<SdpLine> lines, bool session, int fromRank, int toRank)
    {
        foreach (var line in lines)
        {
            // A second v=, o= or s= would make the text unreadable (the parser refuses them).
            var r = session ? SdpLineOrder.SessionRank(line.Type) : SdpLineOrder.MediaRank(line.Type);
            if (r >= fromRank && r < toRank)
            {
                if (!char.IsAsciiLetter(line.Type) || (session && line.Type is 'v' or 'o' or 's'))
                {
                    throw new ArgumentException($"'{line.Type}=' cannot be kept as an other line here", nameof(lines));
                }

                Line(line.Type, line.Value);
            }
        }
    }

    private void OptionalAttribute(string name, string? value)
    {
        if (value is not null)
        {
            Attribute(name, value);
        }
    }

    private void Attribute(string name, string? value) =>
        Line('a', value is null ? name : string.Concat(name, ":", value));

    private void Line(char type, string? value)
    {
        ArgumentNullException.ThrowIfNull(value, $"{type}=");
        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException($"a line break inside the value of a {type}= line ('{value.ReplaceLineEndings(" ")}')", nameof(value));
        }

        _text.Append(type).Append('=').Append(value).Append(LineEnd);
    }

    /// <summary>A kept c= line is a second address; without the first it would be read back as the first.</summary>
    private static void CheckKeptConnections(List<SdpLine> lines, SdpConnection? connection)
    {
        if (connection is null && lines.Exists(line => line.Type == 'c'))
        {
            throw new ArgumentException("a kept c= line needs the Connection field set first", nameof(lines));
        }
    }

    private void Connection(SdpConnection c) =>
        Line('c', Join(Token(c.NetworkType, "c= nettype"), Token(c.AddressType, "c= addrtype"), Token(c.Address, "c= address")));

    /// <summary>A field the parser splits on spaces: it must be one non-empty word to read back the same.</summary>
    private static string Token(string? value, string field)
    {
        if (string.IsNullOrEmpty(value) || value.AsSpan().IndexOfAny(' ', '\r', '\n') >= 0)
        {
            throw new ArgumentException($"{field} '{value}' must be one word without spaces", field);
        }

        return value;
    }

    private static void CheckRange(int value, int min, int max, string field)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(field, value, $"{field} must be in {min}..{max}");
        }
    }

    private static string Join(params string[] parts) => string.Join(' ', parts);

    private static string Join(string head, IEnumerable<string> tail)
    {
        var builder = new StringBuilder(head);
        foreach (var item in tail)
        {
            builder.Append(' ').Append(item);
        }

        return builder.ToString();
    }
}
