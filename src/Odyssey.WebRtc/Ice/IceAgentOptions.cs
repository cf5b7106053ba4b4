namespace Odyssey.WebRtc.Ice;

/// <summary>
/// What an <see cref="IceAgent"/> gathers on and how it paces itself. Defaults follow RFC 8445 and
/// RFC 7675; tests shorten the timers so silence is detected in well under a second.
/// </summary>
public sealed record IceAgentOptions
{
    /// <summary>RFC 8445 §14.2: Ta, the pacing of new checks, defaults to 50 ms.</summary>
    public static readonly TimeSpan DefaultCheckPacing = TimeSpan.FromMilliseconds(50);

    /// <summary>RFC 8445 §14.3: the RTO of a connectivity check should not be below 500 ms.</summary>
    public static readonly TimeSpan DefaultInitialRto = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Doubling stops here, so a pair fails after about 15 s of silence instead of RFC 8489's 39.5 s
    /// (libwebrtc caps its check RTO the same way); browsers give up on a pair on that order too.
    /// </summary>
    public static readonly TimeSpan DefaultMaxRto = TimeSpan.FromSeconds(3);

    /// <summary>RFC 7675 §5.1: a consent check every 5 s, randomised by ±20 % per check.</summary>
    public static readonly TimeSpan DefaultConsentInterval = TimeSpan.FromSeconds(5);

    /// <summary>Three missed consent intervals: one lost response must not flap the state.</summary>
    public static readonly TimeSpan DefaultDisconnectedAfter = TimeSpan.FromSeconds(15);

    /// <summary>RFC 7675 §5.1: consent expires 30 s after the last response; sending must stop.</summary>
    public static readonly TimeSpan DefaultConsentTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Like a browser's ICE timeout: checking without any working pair for this long fails.</summary>
    public static readonly TimeSpan DefaultCheckingTimeout = TimeSpan.FromSeconds(30);

    /// <summary>True for the controlling agent (the offerer in WebRTC), false for the controlled answerer.</summary>
    public bool Controlling { get; init; }

    /// <summary>STUN servers as <c>stun:host[:port]</c> (port 3478 by default) or <c>host:port</c>; one srflx candidate per server and local address.</summary>
    public IReadOnlyList<string> StunServers { get; init; } = [];

    /// <summary>
    /// TURN servers (<c>turn:host[:port][?transport=udp]</c> with long-term credentials): one relay candidate
    /// per server and local address family, allocated over UDP (RFC 8656).
    /// </summary>
    public IReadOnlyList<IceTurnServer> TurnServers { get; init; } = [];

    /// <summary><see cref="IceTransportPolicy.Relay"/> gathers relay candidates only (needs a TURN server); the default uses every kind.</summary>
    public IceTransportPolicy TransportPolicy { get; init; } = IceTransportPolicy.All;

    /// <summary>
    /// Under <see cref="IceTransportPolicy.Relay"/>: when every TURN allocation fails, gather host and
    /// server-reflexive candidates instead of failing (the reasons stay in <see cref="IceAgent.TurnFailures"/>).
    /// False, the default, is the strict W3C behaviour: the agent fails at once, naming the servers.
    /// </summary>
    public bool RelayFallback { get; init; }

    /// <summary>Gather only on 127.0.0.1 and ::1: what tests use, so no test ever touches a real network.</summary>
    public bool LoopbackOnly { get; init; }

    /// <summary>Gather only on these interfaces (by name, e.g. "eth0", "lo"); empty means every interface that is up, loopback excluded.</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];

    /// <summary>Gather IPv4 host candidates.</summary>
    public bool UseIPv4 { get; init; } = true;

    /// <summary>Gather IPv6 host candidates (global, unique-local and ::1; link-local needs a scope and is skipped).</summary>
    public bool UseIPv6 { get; init; } = true;

    /// <summary>Ta: at most one new check per interval; also the agent's timer tick.</summary>
    public TimeSpan CheckPacing { get; init; } = DefaultCheckPacing;

    /// <summary>First retransmission timeout of a check or STUN server request; doubles per retransmission.</summary>
    public TimeSpan InitialRto { get; init; } = DefaultInitialRto;

    /// <summary>Upper bound of the doubled retransmission timeout.</summary>
    public TimeSpan MaxRto { get; init; } = DefaultMaxRto;

    /// <summary>Retransmissions after the first send before a transaction fails (RFC 8489 §6.2.1 uses 6 after the first, Rc = 7 sends).</summary>
    public int MaxRetransmissions { get; init; } = 6;

    /// <summary>Mean interval between consent checks on the selected pair.</summary>
    public TimeSpan ConsentInterval { get; init; } = DefaultConsentInterval;

    /// <summary>Without a consent response for this long the state becomes Disconnected (it returns to Connected when responses resume).</summary>
    public TimeSpan DisconnectedAfter { get; init; } = DefaultDisconnectedAfter;

    /// <summary>Without a consent response for this long consent is lost: the state becomes Failed and sending stops.</summary>
    public TimeSpan ConsentTimeout { get; init; } = DefaultConsentTimeout;

    /// <summary>Checking without a selected pair for this long fails the agent.</summary>
    public TimeSpan CheckingTimeout { get; init; } = DefaultCheckingTimeout;

    internal void Validate()
    {
        Positive(CheckPacing, nameof(CheckPacing));
        Positive(InitialRto, nameof(InitialRto));
        Positive(MaxRto, nameof(MaxRto));
        Positive(ConsentInterval, nameof(ConsentInterval));
        Positive(DisconnectedAfter, nameof(DisconnectedAfter));
        Positive(ConsentTimeout, nameof(ConsentTimeout));
        Positive(CheckingTimeout, nameof(CheckingTimeout));
        if (MaxRetransmissions < 0)
        {
            throw new ArgumentException($"IceAgentOptions.{nameof(MaxRetransmissions)} is {MaxRetransmissions}; it must be 0 or more", nameof(MaxRetransmissions));
        }

        if (ConsentTimeout < DisconnectedAfter)
        {
            throw new ArgumentException($"IceAgentOptions.{nameof(ConsentTimeout)} ({ConsentTimeout}) is shorter than {nameof(DisconnectedAfter)} ({DisconnectedAfter})", nameof(ConsentTimeout));
        }

        if (!UseIPv4 && !UseIPv6)
        {
            throw new ArgumentException("IceAgentOptions: UseIPv4 and UseIPv6 are both false, so nothing can be gathered", nameof(UseIPv4));
        }

        foreach (var server in StunServers)
        {
            _ = StunServerAddress.Parse(server);
        }

        foreach (var server in TurnServers)
        {
            ArgumentNullException.ThrowIfNull(server, nameof(TurnServers));
            _ = TurnServerAddress.Parse(server.Url);
            if (string.IsNullOrEmpty(server.Username) || server.Credential is null)
            {
                throw new ArgumentException($"IceAgentOptions.TurnServers entry '{server.Url}' has no username or credential (TURN needs long-term credentials)", nameof(TurnServers));
            }
        }

        if (TransportPolicy == IceTransportPolicy.Relay && TurnServers.Count == 0)
        {
            throw new ArgumentException("IceAgentOptions.TransportPolicy is Relay but TurnServers is empty, so no candidate could be gathered", nameof(TransportPolicy));
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentException($"IceAgentOptions.{name} is {value}; it must be positive", name);
        }
    }
}

/// <summary>A STUN server from the configuration: host name or literal and port.</summary>
internal readonly record struct StunServerAddress(string Host, int Port)
{
    /// <summary>RFC 8489 §9: the default STUN port.</summary>
    public const int DefaultPort = 3478;

    public static StunServerAddress Parse(string uri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        var rest = uri.StartsWith("stun:", StringComparison.OrdinalIgnoreCase) ? uri[5..] : uri;
        if (rest.StartsWith("turn", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("turn", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"IceAgentOptions.StunServers entry '{uri}' is a TURN server; put it in IceAgentOptions.TurnServers with its credentials", nameof(uri));
        }

        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            rest = rest[..query];
        }

        if (!TrySplitHostPort(rest, out var host, out var port, out var unclosedBracket))
        {
            throw new ArgumentException(unclosedBracket
                ? $"IceAgentOptions.StunServers entry '{uri}' has an unclosed IPv6 bracket"
                : $"IceAgentOptions.StunServers entry '{uri}' is not stun:host[:port]", nameof(uri));
        }

        return new StunServerAddress(host, port);
    }

    /// <summary>
    /// The host and port of a STUN or TURN URL's <c>host[:port]</c> part (the scheme and query already cut
    /// off; an IPv6 literal in brackets); both default to port 3478 (RFC 8489 §9, RFC 8656 §18).
    /// </summary>
    internal static bool TrySplitHostPort(string rest, out string host, out int port, out bool unclosedBracket)
    {
        string portText;
        unclosedBracket = false;
        port = DefaultPort;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                host = string.Empty;
                unclosedBracket = true;
                return false;
            }

            host = rest[1..close];
            portText = close + 1 < rest.Length && rest[close + 1] == ':' ? rest[(close + 2)..] : string.Empty;
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            host = colon >= 0 ? rest[..colon] : rest;
            portText = colon >= 0 ? rest[(colon + 1)..] : string.Empty;
        }

        return host.Length > 0 && (portText.Length == 0 ||
            (int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535));
    }
}
