using Microsoft.Extensions.Logging;
using Odyssey.Media;
using Odyssey.WebRtc;

namespace Odyssey.Client;

/// <summary>
/// How an <see cref="OdysseyClient"/> reaches Odyssey (PROTOCOL.md §8). The API key and URL fall back to
/// the <c>ODYSSEY_API_KEY</c> and <c>ODYSSEY_API_URL</c> environment variables; <see cref="Validate"/> checks
/// every field and names the one that is wrong.
/// </summary>
public sealed record ClientConfig
{
    /// <summary>Odyssey's production API (§1).</summary>
    public const string DefaultApiUrl = "https://api.odyssey.ml";

    /// <summary>The environment variable read when <see cref="ApiKey"/> is not given.</summary>
    public const string ApiKeyVariable = "ODYSSEY_API_KEY";

    /// <summary>The environment variable read when <see cref="ApiUrl"/> is not given.</summary>
    public const string ApiUrlVariable = "ODYSSEY_API_URL";

    /// <summary>The API key (<c>ody_…</c>); empty is allowed for the pre-minted credentials flow. Never logged.</summary>
    public string ApiKey { get; init; } = Environment.GetEnvironmentVariable(ApiKeyVariable) ?? "";

    /// <summary>The API base URL (http or https).</summary>
    public string ApiUrl { get; init; } = Environment.GetEnvironmentVariable(ApiUrlVariable) is { Length: > 0 } url ? url : DefaultApiUrl;

    /// <summary>Also log at Debug level: every HTTP call, signalling and channel message (the seed's <c>debug=True</c>); needs a <see cref="LoggerFactory"/>.</summary>
    public bool Debug { get; init; }

    /// <summary>
    /// Send usage telemetry (§7: connecting/connected/disconnected events and errors, with the first 8
    /// characters of the API key) to <c>&lt;ApiUrl&gt;/telemetry</c>. Off by default, unlike the Python client:
    /// a library does not send data its user did not ask it to send.
    /// </summary>
    public bool EnableTelemetry { get; init; }

    /// <summary>Where the client logs; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Skip the HTTP API and connect straight to a signalling server (development).</summary>
    public DevConfig? Dev { get; init; }

    /// <summary>Retries, delays and the queue timeout.</summary>
    public AdvancedConfig Advanced { get; init; } = new();

    /// <summary>The clock behind every delay and timeout (tests use a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Issues every HTTP request; null creates one owned by the client.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that is invalid.</summary>
    public void Validate()
    {
        if (!Uri.TryCreate(ApiUrl, UriKind.Absolute, out var api) || (api.Scheme != Uri.UriSchemeHttp && api.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"ClientConfig.ApiUrl '{ApiUrl}' must be an absolute http:// or https:// URL", nameof(ApiUrl));
        }

        ArgumentNullException.ThrowIfNull(Advanced, nameof(Advanced));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        Advanced.Validate();
        Dev?.Validate();
    }
}

/// <summary>
/// Development settings (the seed's <c>DevConfig</c>): with <see cref="SignalingUrl"/> set the client skips
/// auth and the session broker and opens the signalling WebSocket directly; <see cref="SessionId"/> is then required.
/// </summary>
public sealed record DevConfig
{
    /// <summary>A signalling base URL (<c>ws://</c>, <c>wss://</c>, <c>http(s)://</c> or a bare host).</summary>
    public string? SignalingUrl { get; init; }

    /// <summary>The session to join on that server.</summary>
    public string? SessionId { get; init; }

    /// <summary>A session token for the <c>?token=</c> query, when the server asks for one.</summary>
    public string? SessionToken { get; init; }

    /// <summary>Log at Debug level (as <see cref="ClientConfig.Debug"/>).</summary>
    public bool Debug { get; init; }

    internal void Validate()
    {
        if (SignalingUrl is not null && string.IsNullOrWhiteSpace(SessionId))
        {
            throw new ArgumentException("DevConfig.SessionId is required when DevConfig.SignalingUrl is set", nameof(SessionId));
        }

        if (SignalingUrl is not null && string.IsNullOrWhiteSpace(SignalingUrl))
        {
            throw new ArgumentException("DevConfig.SignalingUrl is blank", nameof(SignalingUrl));
        }
    }
}

/// <summary>Retry, queueing and media settings (PROTOCOL.md §8 defaults).</summary>
public sealed record AdvancedConfig
{
    /// <summary>Connection attempts after the first (§8: 5, so 6 attempts).</summary>
    public const int DefaultMaxRetries = 5;

    /// <summary>Delay before the first retry (§8).</summary>
    public static readonly TimeSpan DefaultInitialRetryDelay = TimeSpan.FromMilliseconds(1000);

    /// <summary>Cap of the growing retry delay (§8).</summary>
    public static readonly TimeSpan DefaultMaxRetryDelay = TimeSpan.FromMilliseconds(2000);

    /// <summary>Each retry waits this many times longer than the previous one (§8).</summary>
    public const double DefaultRetryBackoffMultiplier = 2.0;

    /// <summary>How long a 503 "no streamer free" is retried (§2 step 4).</summary>
    public static readonly TimeSpan DefaultQueueTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Connection attempts after the first; 0 = no retries.</summary>
    public int MaxRetries { get; init; } = DefaultMaxRetries;

    /// <summary>Delay before the first retry.</summary>
    public TimeSpan InitialRetryDelay { get; init; } = DefaultInitialRetryDelay;

    /// <summary>Upper bound of a retry delay.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = DefaultMaxRetryDelay;

    /// <summary>Growth of the retry delay per retry (1 = constant).</summary>
    public double RetryBackoffMultiplier { get; init; } = DefaultRetryBackoffMultiplier;

    /// <summary>How long to wait in the queue for a free streamer; zero fails at once.</summary>
    public TimeSpan QueueTimeout { get; init; } = DefaultQueueTimeout;

    /// <summary>Pixel format of decoded frames (the seed's <c>VideoFrame</c> is RGB).</summary>
    public PixelFormat FramePixelFormat { get; init; } = PixelFormat.Rgb24;

    /// <summary>
    /// Base options of the peer connection (e.g. ICE on loopback only in tests); the ICE servers from
    /// <c>/config</c> are added to them. Null: defaults.
    /// </summary>
    public PeerConnectionOptions? PeerConnection { get; init; }

    /// <summary>Decoded frames held for a slow <see cref="OdysseyClient.ReadFramesAsync"/> reader before the oldest is dropped (counted).</summary>
    public int FrameQueueCapacity { get; init; } = 8;

    /// <summary>Retry delay before attempt <paramref name="retry"/> (0-based): min(initial × multiplier^retry, max).</summary>
    public TimeSpan RetryDelay(int retry)
    {
        var ms = InitialRetryDelay.TotalMilliseconds * Math.Pow(RetryBackoffMultiplier, retry);
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxRetryDelay.TotalMilliseconds));
    }

    internal void Validate()
    {
        if (MaxRetries < 0)
        {
            throw new ArgumentException($"AdvancedConfig.MaxRetries is {MaxRetries}; it must be 0 or more", nameof(MaxRetries));
        }

        if (InitialRetryDelay < TimeSpan.Zero)
        {
            throw new ArgumentException($"AdvancedConfig.InitialRetryDelay is {InitialRetryDelay}; it must not be negative", nameof(InitialRetryDelay));
        }

        if (MaxRetryDelay < InitialRetryDelay)
        {
            throw new ArgumentException($"AdvancedConfig.MaxRetryDelay ({MaxRetryDelay}) is shorter than InitialRetryDelay ({InitialRetryDelay})", nameof(MaxRetryDelay));
        }

        if (!(RetryBackoffMultiplier >= 1.0) || double.IsInfinity(RetryBackoffMultiplier))
        {
            throw new ArgumentException($"AdvancedConfig.RetryBackoffMultiplier is {RetryBackoffMultiplier}; it must be a finite number of at least 1", nameof(RetryBackoffMultiplier));
        }

        if (QueueTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException($"AdvancedConfig.QueueTimeout is {QueueTimeout}; it must not be negative", nameof(QueueTimeout));
        }

        if (FrameQueueCapacity < 1)
        {
            throw new ArgumentException($"AdvancedConfig.FrameQueueCapacity is {FrameQueueCapacity}; it must be at least 1", nameof(FrameQueueCapacity));
        }

        if (FramePixelFormat is not (PixelFormat.Rgb24 or PixelFormat.Bgr24 or PixelFormat.I420 or PixelFormat.Nv12 or PixelFormat.Gray8))
        {
            throw new ArgumentException($"AdvancedConfig.FramePixelFormat {FramePixelFormat} is not a known pixel format", nameof(FramePixelFormat));
        }
    }
}
