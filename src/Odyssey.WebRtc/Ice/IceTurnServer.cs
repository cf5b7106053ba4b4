namespace Odyssey.WebRtc.Ice;

/// <summary>Which local candidates ICE may use (W3C RTCIceTransportPolicy).</summary>
public enum IceTransportPolicy
{
    /// <summary>Host, server-reflexive and relay candidates.</summary>
    All,

    /// <summary>Relay candidates only: every packet goes through a TURN server, so the peer never learns our addresses.</summary>
    Relay,
}

/// <summary>
/// A TURN server with long-term credentials (RFC 8489 §9.2), as the W3C RTCIceServer carries it:
/// <c>turn:host[:port][?transport=udp]</c>. <c>turns:</c> and <c>?transport=tcp</c> are unsupported and
/// rejected by <see cref="IceAgentOptions"/> validation with a message saying so.
/// </summary>
public sealed record IceTurnServer(string Url, string Username, string Credential)
{
    /// <summary>The URL only: the credential never appears in logs or messages.</summary>
    public override string ToString() => Url;

    /// <summary>True for the URLs the TURN client can use (<c>turn:</c> over UDP); false for <c>turns:</c> or TCP.</summary>
    public static bool IsSupported(string url) => TurnServerAddress.TryParse(url, out _, out _);
}

/// <summary>A TURN server's host and port from its URL (RFC 7065 §3.1).</summary>
internal readonly record struct TurnServerAddress(string Host, int Port)
{
    /// <summary>RFC 8656 §4: TURN over UDP listens on 3478 by default, like STUN.</summary>
    public const int DefaultPort = 3478;

    public static TurnServerAddress Parse(string url)
    {
        if (!TryParse(url, out var address, out var error))
        {
            throw new ArgumentException($"IceAgentOptions.TurnServers entry '{url}': {error}", nameof(url));
        }

        return address;
    }

    public static bool TryParse(string url, out TurnServerAddress address, out string error)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(url))
        {
            error = "is empty";
            return false;
        }

        if (url.StartsWith("turns:", StringComparison.OrdinalIgnoreCase))
        {
            error = "turns: (TURN over TLS) is unsupported; only turn: over UDP is";
            return false;
        }

        if (!url.StartsWith("turn:", StringComparison.OrdinalIgnoreCase))
        {
            error = "is not a turn: URL";
            return false;
        }

        var rest = url[5..];
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            var parameters = rest[(query + 1)..];
            rest = rest[..query];
            foreach (var parameter in parameters.Split('&'))
            {
                if (parameter.StartsWith("transport=", StringComparison.OrdinalIgnoreCase) &&
                    !parameter.Equals("transport=udp", StringComparison.OrdinalIgnoreCase))
                {
                    error = $"{parameter} is unsupported; only transport=udp is";
                    return false;
                }
            }
        }

        if (!StunServerAddress.TrySplitHostPort(rest, out var host, out var port, out var unclosedBracket))
        {
            error = unclosedBracket ? "has an unclosed IPv6 bracket" : "is not turn:host[:port][?transport=udp]";
            return false;
        }

        address = new TurnServerAddress(host, port);
        error = string.Empty;
        return true;
    }
}
