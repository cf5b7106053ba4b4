using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Text;

namespace Odyssey.WebRtc.Ice;

/// <summary>How a candidate was obtained (RFC 8445 §5.1.1), which also ranks it.</summary>
public enum IceCandidateType
{
    /// <summary>An address of a local interface (<c>typ host</c>).</summary>
    Host,

    /// <summary>The address a STUN server saw us from (<c>typ srflx</c>).</summary>
    ServerReflexive,

    /// <summary>An address learned from a connectivity check (<c>typ prflx</c>).</summary>
    PeerReflexive,

    /// <summary>An address on a TURN relay (<c>typ relay</c>), gathered from <see cref="IceAgentOptions.TurnServers"/>.</summary>
    Relay,
}

/// <summary>
/// One ICE candidate as carried in SDP and trickled over signalling (RFC 8839 §5.1):
/// <c>candidate:foundation component transport priority address port typ type [raddr a] [rport p] *(name value)</c>.
/// Extensions the agent does not read (generation, ufrag, network-id, network-cost…) are kept in order, so
/// a candidate written back out is the one that came in.
/// </summary>
public sealed class IceCandidate
{
    /// <summary>RFC 8839 §5.1: foundation is 1 to 32 ice-chars.</summary>
    private const int MaxFoundationLength = 32;

    /// <summary>RFC 8445 §5.1.2.1: the component ID is 1..256 (RTP is 1; with rtcp-mux nothing else is used).</summary>
    private const int MaxComponent = 256;

    private const string Prefix = "candidate:";

    /// <summary>Creates a candidate; the agent uses this for the ones it gathers, parsers go through <see cref="Parse"/>.</summary>
    public IceCandidate(
        string foundation,
        int component,
        string transport,
        uint priority,
        string address,
        int port,
        IceCandidateType type,
        string? relatedAddress = null,
        int? relatedPort = null,
        IReadOnlyList<KeyValuePair<string, string>>? extensions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(foundation);
        ArgumentException.ThrowIfNullOrEmpty(transport);
        ArgumentException.ThrowIfNullOrEmpty(address);
        ArgumentOutOfRangeException.ThrowIfLessThan(component, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(component, MaxComponent);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        Foundation = foundation;
        Component = component;
        Transport = transport.ToLowerInvariant();
        Priority = priority;
        Address = address;
        Port = port;
        Type = type;
        RelatedAddress = relatedAddress;
        RelatedPort = relatedPort;
        Extensions = extensions ?? [];
        IPAddress = ParseLiteral(address);
    }

    /// <summary>Candidates with the same foundation share type, base and server (RFC 8445 §5.1.1.3).</summary>
    public string Foundation { get; }

    /// <summary>1 for RTP (and everything, with rtcp-mux and BUNDLE).</summary>
    public int Component { get; }

    /// <summary>Lower case: "udp" or "tcp" (tcp candidates are parsed and ignored by the agent).</summary>
    public string Transport { get; }

    /// <summary>RFC 8445 §5.1.2 priority.</summary>
    public uint Priority { get; }

    /// <summary>The connection address as written: an IP literal or a host name such as an mDNS <c>….local</c>.</summary>
    public string Address { get; }

    /// <summary>The address when <see cref="Address"/> is an IP literal; null for names.</summary>
    public IPAddress? IPAddress { get; }

    /// <summary>UDP or TCP port.</summary>
    public int Port { get; }

    /// <summary>host, srflx, prflx or relay.</summary>
    public IceCandidateType Type { get; }

    /// <summary><c>raddr</c>: the base of a reflexive or relayed candidate, if given.</summary>
    public string? RelatedAddress { get; }

    /// <summary><c>rport</c>, if given.</summary>
    public int? RelatedPort { get; }

    /// <summary>Every name/value pair after the fixed fields, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Extensions { get; }

    /// <summary>True for UDP candidates, the only ones the agent pairs.</summary>
    public bool IsUdp => Transport == "udp";

    /// <summary>An mDNS name (RFC 8839 §5.1 with draft-ietf-mmusic-mdns-ice-candidates): hides a host address.</summary>
    public bool IsMdns => IPAddress is null && Address.EndsWith(".local", StringComparison.OrdinalIgnoreCase);

    /// <summary>The <c>ufrag</c> extension Chromium adds, to tell ICE restarts apart; null when absent.</summary>
    public string? UsernameFragment => Extension("ufrag");

    /// <summary>The value of one extension, or null.</summary>
    public string? Extension(string name)
    {
        foreach (var pair in Extensions)
        {
            if (string.Equals(pair.Key, name, StringComparison.Ordinal))
            {
                return pair.Value;
            }
        }

        return null;
    }

    /// <summary>
    /// RFC 8445 §5.1.2.1: 2^24 × type preference + 2^8 × local preference + (256 − component).
    /// </summary>
    public static uint ComputePriority(IceCandidateType type, ushort localPreference, int component) =>
        (TypePreference(type) << 24) | ((uint)localPreference << 8) | (uint)(256 - component);

    /// <summary>RFC 8445 §5.1.2.2 recommended type preferences.</summary>
    public static uint TypePreference(IceCandidateType type) => type switch
    {
        IceCandidateType.Host => 126,
        IceCandidateType.PeerReflexive => 110,
        IceCandidateType.ServerReflexive => 100,
        _ => 0,
    };

    /// <summary>
    /// Parses <c>candidate:…</c>, <c>a=candidate:…</c> or the bare attribute value; throws
    /// <see cref="IceCandidateFormatException"/> naming the field.
    /// </summary>
    public static IceCandidate Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var candidate = ParseCore(text, out var error);
        return candidate ?? throw error!;
    }

    /// <summary>Like <see cref="Parse"/>, without throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out IceCandidate? candidate)
    {
        candidate = text is null ? null : ParseCore(text, out _);
        return candidate is not null;
    }

    /// <summary>The W3C/SDP form, starting with <c>candidate:</c> (prefix <c>a=</c> for an SDP line).</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Prefix, 128)
            .Append(Foundation).Append(' ')
            .Append(Component.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(Transport).Append(' ')
            .Append(Priority.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(Address).Append(' ')
            .Append(Port.ToString(CultureInfo.InvariantCulture))
            .Append(" typ ").Append(TypeName(Type));
        if (RelatedAddress is not null)
        {
            text.Append(" raddr ").Append(RelatedAddress);
        }

        if (RelatedPort is { } relatedPort)
        {
            text.Append(" rport ").Append(relatedPort.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var (name, value) in Extensions)
        {
            text.Append(' ').Append(name).Append(' ').Append(value);
        }

        return text.ToString();
    }

    internal static string TypeName(IceCandidateType type) => type switch
    {
        IceCandidateType.Host => "host",
        IceCandidateType.ServerReflexive => "srflx",
        IceCandidateType.PeerReflexive => "prflx",
        _ => "relay",
    };

    private static IceCandidate? ParseCore(string text, out IceCandidateFormatException? error)
    {
        error = null;
        var body = text.AsSpan().Trim();
        if (body.StartsWith("a=", StringComparison.Ordinal))
        {
            body = body[2..];
        }

        if (body.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            body = body[Prefix.Length..];
        }

        var fields = body.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 8)
        {
            error = new("candidate", text, $"{fields.Length} fields, fewer than the 8 required (foundation component transport priority address port typ type)");
            return null;
        }

        var foundation = fields[0];
        if (foundation.Length > MaxFoundationLength || !IsIceChars(foundation))
        {
            error = new("foundation", text, $"'{foundation}' is not 1 to 32 ice-chars (letters, digits, '+', '/')");
            return null;
        }

        if (!IsDigits(fields[1], 3) || int.Parse(fields[1], CultureInfo.InvariantCulture) is < 1 or > MaxComponent)
        {
            error = new("component", text, $"'{fields[1]}' is not 1..256");
            return null;
        }

        var transport = fields[2];
        if (!IsToken(transport))
        {
            error = new("transport", text, $"'{transport}' is not a transport token");
            return null;
        }

        if (!IsDigits(fields[3], 10) || !uint.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var priority))
        {
            error = new("priority", text, $"'{fields[3]}' is not a 32-bit unsigned number");
            return null;
        }

        var address = fields[4];
        if (!IsAddress(address))
        {
            error = new("connection-address", text, $"'{address}' is neither an IP address nor a host name");
            return null;
        }

        if (!TryPort(fields[5], out var port))
        {
            error = new("port", text, $"'{fields[5]}' is not 0..65535");
            return null;
        }

        if (!string.Equals(fields[6], "typ", StringComparison.Ordinal))
        {
            error = new("typ", text, $"expected 'typ' after the port, found '{fields[6]}'");
            return null;
        }

        IceCandidateType type;
        switch (fields[7])
        {
            case "host": type = IceCandidateType.Host; break;
            case "srflx": type = IceCandidateType.ServerReflexive; break;
            case "prflx": type = IceCandidateType.PeerReflexive; break;
            case "relay": type = IceCandidateType.Relay; break;
            default:
                error = new("cand-type", text, $"'{fields[7]}' is not host, srflx, prflx or relay");
                return null;
        }

        var index = 8;
        string? relatedAddress = null;
        int? relatedPort = null;
        if (index + 1 < fields.Length && fields[index] == "raddr")
        {
            relatedAddress = fields[index + 1];
            if (!IsAddress(relatedAddress))
            {
                error = new("raddr", text, $"'{relatedAddress}' is neither an IP address nor a host name");
                return null;
            }

            index += 2;
        }

        if (index + 1 < fields.Length && fields[index] == "rport")
        {
            if (!TryPort(fields[index + 1], out var rport))
            {
                error = new("rport", text, $"'{fields[index + 1]}' is not 0..65535");
                return null;
            }

            relatedPort = rport;
            index += 2;
        }

        if (((fields.Length - index) & 1) != 0)
        {
            error = new("extension", text, $"'{fields[^1]}' has no value");
            return null;
        }

        var extensions = new List<KeyValuePair<string, string>>((fields.Length - index) / 2);
        for (; index < fields.Length; index += 2)
        {
            if (fields[index] is "raddr" or "rport" or "typ")
            {
                error = new(fields[index], text, $"'{fields[index]}' is out of place");
                return null;
            }

            extensions.Add(new(fields[index], fields[index + 1]));
        }

        return new IceCandidate(foundation, int.Parse(fields[1], CultureInfo.InvariantCulture), transport, priority, address, port, type, relatedAddress, relatedPort, extensions);
    }

    private static bool IsIceChars(string value)
    {
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '/'))
            {
                return false;
            }
        }

        return value.Length > 0;
    }

    private static bool IsDigits(string value, int maxLength)
    {
        if (value.Length == 0 || value.Length > maxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryPort(string value, out int port)
    {
        port = 0;
        return IsDigits(value, 5) && (port = int.Parse(value, CultureInfo.InvariantCulture)) <= IPEndPoint.MaxPort;
    }

    private static bool IsToken(string value)
    {
        foreach (var c in value)
        {
            // RFC 8866 token: visible ASCII except separators.
            if (c is <= ' ' or >= '\u007f' or '(' or ')' or '<' or '>' or '@' or ',' or ';' or ':' or '\\' or '"' or '/' or '[' or ']' or '?' or '=' or '{' or '}')
            {
                return false;
            }
        }

        return value.Length > 0;
    }

    /// <summary>
    /// An IP literal in the strict forms SDP uses: dotted-quad IPv4 or IPv6 without a zone. IPAddress.TryParse
    /// alone would also take "1" or "0x7f.1", which are host names here.
    /// </summary>
    private static IPAddress? ParseLiteral(string value)
    {
        var dots = 0;
        var colon = false;
        foreach (var c in value)
        {
            dots += c == '.' ? 1 : 0;
            colon |= c == ':';
            if (c == '%')
            {
                return null;
            }
        }

        if (!colon && (dots != 3 || !IsDigitsAndDots(value)))
        {
            return null;
        }

        return IPAddress.TryParse(value, out var address) ? address : null;
    }

    private static bool IsDigitsAndDots(string value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c) && c != '.')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAddress(string value)
    {
        if (ParseLiteral(value) is not null)
        {
            return true;
        }

        if (IsDigitsAndDots(value))
        {
            return false; // a bad dotted quad such as 999.1.1.1, not a name
        }

        // A host name (RFC 8839 allows an FQDN; browsers use mDNS names): letters, digits, '-' and dots.
        if (value.Length > 253)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
            {
                return false;
            }
        }

        return value.Length > 0 && value[0] != '.' && value[0] != '-';
    }
}

/// <summary>A candidate string that does not follow RFC 8839 §5.1; names the field that is wrong.</summary>
public sealed class IceCandidateFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public IceCandidateFormatException(string field, string candidate, string reason)
        : base($"ICE candidate field {field}: {reason} (in '{candidate}')")
    {
        Field = field;
        Candidate = candidate;
    }

    /// <summary>The grammar field that is wrong, e.g. "priority".</summary>
    public string Field { get; }

    /// <summary>The whole text that was parsed.</summary>
    public string Candidate { get; }
}
