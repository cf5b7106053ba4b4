using System.Net;
using Odyssey.Media;

namespace Odyssey.Emulator;

/// <summary>The typed 429 usage errors of PROTOCOL.md §9, for <see cref="EmulatorOptions.ForcedUsageError"/>.</summary>
public enum UsageErrorCode
{
    /// <summary><c>MONTHLY_LIMIT_REACHED</c>.</summary>
    MonthlyLimitReached,

    /// <summary><c>CONCURRENT_LIMIT_REACHED</c>.</summary>
    ConcurrentLimitReached,

    /// <summary><c>STREAM_DURATION_EXCEEDED</c>.</summary>
    StreamDurationExceeded,

    /// <summary><c>ACCOUNT_SUSPENDED</c>.</summary>
    AccountSuspended,

    /// <summary><c>RATE_LIMITED</c>.</summary>
    RateLimited,
}

/// <summary>
/// What the emulator serves and which limits and faults it applies. Defaults behave like the real service
/// (PROTOCOL.md and the DOCS limits it cites) on loopback; the fault options exist for tests.
/// </summary>
public sealed record EmulatorOptions
{
    /// <summary>The API key the emulator accepts unless told otherwise (the <c>ody_</c> prefix real keys have).</summary>
    public const string DefaultApiKey = "ody_emulator_test_key";

    /// <summary>Streamers (concurrent sessions); the free tier's 5 concurrent streams minus one, so tests can see the 503.</summary>
    public const int DefaultStreamerCount = 4;

    /// <summary>Landscape picture size: 1280×704 (PROTOCOL.md §5, the i2v crop size); portrait swaps it.</summary>
    public const int DefaultWidth = 1280;

    /// <inheritdoc cref="DefaultWidth"/>
    public const int DefaultHeight = 704;

    /// <summary>Frame rate of the world.</summary>
    public const double DefaultFps = 30;

    /// <summary>Video bit rate: enough for the flat synthetic scene at 720p to stay sharp.</summary>
    public const int DefaultBitrateKbps = 2000;

    /// <summary>DOCS: the per-stream limit after which the streamer sends <c>session_timeout</c>.</summary>
    public static readonly TimeSpan DefaultMaxStreamDuration = TimeSpan.FromSeconds(150);

    /// <summary>DOCS: the per-connection limit (signalling <c>duration_limit_reached</c>).</summary>
    public static readonly TimeSpan DefaultMaxConnectionDuration = TimeSpan.FromMinutes(60);

    /// <summary>PROTOCOL.md §2 step 5 and DOCS: a session token is valid 600 s.</summary>
    public static readonly TimeSpan DefaultSessionTokenLifetime = TimeSpan.FromSeconds(600);

    /// <summary>PROTOCOL.md §2 step 2: the PY client assumes 3600 s when absent; we say it explicitly.</summary>
    public static readonly TimeSpan DefaultAccessTokenLifetime = TimeSpan.FromSeconds(3600);

    /// <summary>Address to listen on; loopback unless <see cref="AllowRemoteBinding"/>.</summary>
    public IPAddress Host { get; init; } = IPAddress.Loopback;

    /// <summary>TCP port; 0 picks a free one (see <see cref="EmulatorServer.ApiUrl"/>).</summary>
    public int Port { get; init; }

    /// <summary>Must be true to listen on anything but loopback: the emulator has one well-known test key.</summary>
    public bool AllowRemoteBinding { get; init; }

    /// <summary>The accepted API key (POST /auth/token).</summary>
    public string ApiKey { get; init; } = DefaultApiKey;

    /// <summary>Well-formed keys answered 403 (an access-denied account).</summary>
    public IReadOnlyList<string> DeniedApiKeys { get; init; } = [];

    /// <summary>Streamers: sessions that can exist at once; beyond, POST /sessions/request answers 503.</summary>
    public int StreamerCount { get; init; } = DefaultStreamerCount;

    /// <summary>Queue behaviour: the first N session requests answer 503 even when a streamer is free (a busy service), so a client's queue loop runs.</summary>
    public int BusyResponsesBeforeAssign { get; init; }

    /// <summary>Per-API-key limit of concurrent sessions (429 <c>CONCURRENT_LIMIT_REACHED</c>); null: only the streamer count limits.</summary>
    public int? ConcurrentSessionLimit { get; init; }

    /// <summary>Every session request answers 429 with this typed usage error (PROTOCOL.md §9).</summary>
    public UsageErrorCode? ForcedUsageError { get; init; }

    /// <summary>
    /// Every <c>interactive_stream_start</c> is answered with <c>interactive_stream_error</c> of this reason
    /// (e.g. <c>quota_exceeded</c>, <c>concurrent_limit_exceeded</c>, <c>lease_denied</c>).
    /// </summary>
    public string? ForcedStreamErrorReason { get; init; }

    /// <summary>
    /// Right after the WebSocket opens, the signalling sends <c>{"type":"error","reason":…}</c> with this
    /// reason (<c>streamer_not_available</c>, <c>streamer_disconnected</c>, <c>duration_limit_reached</c>, …) and closes.
    /// </summary>
    public string? SignalingErrorReason { get; init; }

    /// <summary>Codec of the video track: H.264 (libx264 constrained baseline) or VP8 (libvpx).</summary>
    public VideoCodec Codec { get; init; } = VideoCodec.H264;

    /// <summary>Landscape width; portrait streams swap width and height.</summary>
    public int Width { get; init; } = DefaultWidth;

    /// <summary>Landscape height.</summary>
    public int Height { get; init; } = DefaultHeight;

    /// <summary>Frames per second, paced in real time.</summary>
    public double Fps { get; init; } = DefaultFps;

    /// <summary>Encoder bit rate.</summary>
    public int BitrateKbps { get; init; } = DefaultBitrateKbps;

    /// <summary>Per-stream limit: then <c>interactive_stream_error</c> <c>session_timeout</c> and the connection closes. Null: none.</summary>
    public TimeSpan? MaxStreamDuration { get; init; } = DefaultMaxStreamDuration;

    /// <summary>Per-connection limit: then the signalling <c>error</c> <c>duration_limit_reached</c> and the connection closes. Null: none.</summary>
    public TimeSpan? MaxConnectionDuration { get; init; } = DefaultMaxConnectionDuration;

    /// <summary>Fault: this long after a stream starts, the WebSocket is aborted and the peer connection dropped without a word.</summary>
    public TimeSpan? DropConnectionAfter { get; init; }

    /// <summary>Fault: this fraction (0–1) of outgoing RTP packets (retransmissions too) never reach the wire.</summary>
    public double MediaPacketLossRate { get; init; }

    /// <summary>Lifetime of access tokens.</summary>
    public TimeSpan AccessTokenLifetime { get; init; } = DefaultAccessTokenLifetime;

    /// <summary>Lifetime of session tokens; a session never connected is dropped (its streamer freed) when it passes.</summary>
    public TimeSpan SessionTokenLifetime { get; init; } = DefaultSessionTokenLifetime;

    /// <summary>ICE gathers on loopback only (tests, a local client); false gathers on every interface.</summary>
    public bool LoopbackIceOnly { get; init; } = true;

    /// <summary>What GET /config returns as <c>iceServers</c> (each a STUN/TURN URL).</summary>
    public IReadOnlyList<string> IceServers { get; init; } = [];

    /// <summary>
    /// The <c>username</c> GET /config gives with each <c>turn:</c>/<c>turns:</c> URL of <see cref="IceServers"/>
    /// (the real service hands out TURN credentials this way, PROTOCOL.md §2 step 7a); null: none.
    /// </summary>
    public string? IceServerUsername { get; init; }

    /// <summary>The <c>credential</c> given beside <see cref="IceServerUsername"/>.</summary>
    public string? IceServerCredential { get; init; }

    /// <summary>Where recordings are written; null: a fresh temporary directory, deleted on dispose.</summary>
    public string? RecordingsDirectory { get; init; }

    /// <summary>Receives one line per notable event (sessions, streams, faults); null: quiet.</summary>
    public Action<string>? Log { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Host, nameof(Host));
        if (!IPAddress.IsLoopback(Host) && !AllowRemoteBinding)
        {
            throw new ArgumentException($"EmulatorOptions.Host {Host} is not loopback: set AllowRemoteBinding (--allow-remote) to listen there", nameof(Host));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(Port, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, IPEndPoint.MaxPort, nameof(Port));
        ArgumentException.ThrowIfNullOrWhiteSpace(ApiKey, nameof(ApiKey));
        ArgumentNullException.ThrowIfNull(DeniedApiKeys, nameof(DeniedApiKeys));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(StreamerCount, nameof(StreamerCount));
        ArgumentOutOfRangeException.ThrowIfNegative(BusyResponsesBeforeAssign, nameof(BusyResponsesBeforeAssign));
        if (ConcurrentSessionLimit is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ConcurrentSessionLimit), ConcurrentSessionLimit, "EmulatorOptions.ConcurrentSessionLimit must be at least 1");
        }

        if (Codec is not (VideoCodec.H264 or VideoCodec.Vp8))
        {
            throw new ArgumentOutOfRangeException(nameof(Codec), Codec, "EmulatorOptions.Codec must be H264 or Vp8 (what the streamer encodes and offers)");
        }

        // 4:2:0 needs even sizes; the frame-index stamp needs 16 columns and 12 bands.
        if (Width < 16 || Height < 16 || Width % 2 != 0 || Height % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Width), $"{Width}x{Height}", "EmulatorOptions.Width and Height must be even and at least 16");
        }

        if (!(Fps is > 0 and <= 240))
        {
            throw new ArgumentOutOfRangeException(nameof(Fps), Fps, "EmulatorOptions.Fps must be in (0, 240]");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BitrateKbps, nameof(BitrateKbps));
        Positive(MaxStreamDuration, nameof(MaxStreamDuration));
        Positive(MaxConnectionDuration, nameof(MaxConnectionDuration));
        Positive(DropConnectionAfter, nameof(DropConnectionAfter));
        Positive(AccessTokenLifetime, nameof(AccessTokenLifetime));
        Positive(SessionTokenLifetime, nameof(SessionTokenLifetime));
        if (!(MediaPacketLossRate is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(MediaPacketLossRate), MediaPacketLossRate, "EmulatorOptions.MediaPacketLossRate must be in [0, 1]");
        }

        ArgumentNullException.ThrowIfNull(IceServers, nameof(IceServers));
    }

    private static void Positive(TimeSpan? value, string name)
    {
        if (value is { } span && span <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, span, $"EmulatorOptions.{name} must be positive");
        }
    }
}
