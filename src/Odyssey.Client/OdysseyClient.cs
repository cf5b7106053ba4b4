using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Odyssey.Client.Api;
using Odyssey.Client.Media;
using Odyssey.Client.Signaling;
using Odyssey.Client.Telemetry;
using Odyssey.Media;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;

namespace Odyssey.Client;

/// <summary>
/// The Odyssey client (PROTOCOL.md): connects to a streamer (auth → queue → session token → signalling →
/// WebRTC), starts a stream, steers it with prompts, and delivers the video as decoded or encoded frames.
/// Recordings and simulation jobs need only the API key. One connection at a time; overlapping connects are
/// rejected with <see cref="OdysseyConnectionError"/>.
/// </summary>
public sealed partial class OdysseyClient : IAsyncDisposable
{
    /// <summary>§4: the data channel the client sends on.</summary>
    public const string ClientToStreamerLabel = "clientToStreamer";

    /// <summary>§4: the data channel the client receives on.</summary>
    public const string StreamerToClientLabel = "streamerToClient";

    /// <summary>§4: the max message size assumed when SCTP does not say.</summary>
    public const int FallbackDataChannelMessageSize = 16 * 1024;

    /// <summary>§2 step 8 (Python): how long video and the channel may take to arrive.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>§2 step 8 (Python): then how long the channel may take to open.</summary>
    public static readonly TimeSpan ChannelOpenTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Dispose waits this long for telemetry still being sent (the disconnect event is usually among it).</summary>
    private static readonly TimeSpan TelemetryFlushLimit = TimeSpan.FromSeconds(2);

    private readonly ClientConfig _config;
    private readonly ILogger _log;
    private readonly Secrets _secrets = new();
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly OdysseyApi _api;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly VideoFramePool _framePool = new();
    private readonly DropOldestQueue<VideoFrame> _decodedFrames;
    private readonly DropOldestQueue<EncodedPacket> _encodedFrames;
    private OdysseyEventHandlers _handlers = new();
    private ConnectionStatus _status = ConnectionStatus.Disconnected;
    private string? _sessionId;
    private readonly TelemetryReporter? _telemetry;
    private long _connectStarted;
    private string? _lastAppliedPrompt;
    private string? _streamId;
    private SessionCapabilities? _capabilities;
    private Attempt? _connection;
    private int _connectInProgress;
    private TaskCompletionSource<string>? _pendingStart;
    private TaskCompletionSource<string>? _pendingInteract;
    private TaskCompletionSource? _pendingEnd;
    private volatile bool _wantDecoded;
    private volatile bool _wantEncoded;
    private bool _disposed;

    /// <summary>Creates a client; nothing is sent until a method is called.</summary>
    /// <exception cref="ArgumentException">The configuration is invalid; names the field.</exception>
    public OdysseyClient(ClientConfig? config = null)
    {
        _config = config ?? new ClientConfig();
        _config.Validate();
        _time = _config.TimeProvider;
        var factory = _config.LoggerFactory ?? NullLoggerFactory.Instance;
        _log = new DebugFilter(factory.CreateLogger("Odyssey.Client"), _config.Debug || _config.Dev?.Debug == true);
        _ownsHttp = _config.HttpClient is null;
        _http = _config.HttpClient ?? new HttpClient();
        _secrets.Add(_config.ApiKey);
        _secrets.Add(_config.Dev?.SessionToken);
        _api = new OdysseyApi(_http, _config.ApiUrl, _config.ApiKey, _time, _secrets, _log);
        _telemetry = _config.EnableTelemetry ? new TelemetryReporter(_http, _config.ApiUrl, _config.ApiKey, _log) : null;
        _decodedFrames = new DropOldestQueue<VideoFrame>(_config.Advanced.FrameQueueCapacity);
        _encodedFrames = new DropOldestQueue<EncodedPacket>(PeerConnectionOptions.DefaultReceiveQueueCapacity);
    }

    /// <summary>The connection status (§6).</summary>
    public ConnectionStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>True while <see cref="Status"/> is <see cref="ConnectionStatus.Connected"/>.</summary>
    public bool IsConnected => Status == ConnectionStatus.Connected;

    /// <summary>The current session's id, once assigned.</summary>
    public string? SessionId
    {
        get
        {
            lock (_gate)
            {
                return _sessionId;
            }
        }
    }

    /// <summary>The prompt the streamer last reported applying (<c>applied_prompt</c> or an acknowledged update).</summary>
    public string? LastAppliedPrompt
    {
        get
        {
            lock (_gate)
            {
                return _lastAppliedPrompt;
            }
        }
    }

    /// <summary>The id of the stream last started.</summary>
    public string? StreamId
    {
        get
        {
            lock (_gate)
            {
                return _streamId;
            }
        }
    }

    /// <summary>The peer connection's state; null when there is none.</summary>
    public PeerConnectionState? ConnectionState
    {
        get
        {
            lock (_gate)
            {
                return _connection?.Peer?.ConnectionState;
            }
        }
    }

    /// <summary>
    /// The ICE pair carrying the connection (a <c>relay</c> local candidate when a TURN server from <c>/config</c>
    /// was used); null when there is none yet.
    /// </summary>
    public IceSelectedPair? SelectedCandidatePair
    {
        get
        {
            PeerConnection? peer;
            lock (_gate)
            {
                peer = _connection?.Peer;
            }

            return peer?.SelectedCandidatePair;
        }
    }

    /// <summary>Decoded frames dropped because the <see cref="ReadFramesAsync"/> reader fell behind.</summary>
    public long DroppedFrames => _decodedFrames.Dropped;

    /// <summary>Encoded frames dropped because the <see cref="ReadEncodedFramesAsync"/> reader fell behind.</summary>
    public long DroppedEncodedFrames => _encodedFrames.Dropped;

    /// <summary>
    /// Connects (§2): auth, region probe, queue, session token, then signalling and WebRTC with retries.
    /// Returns once video and the <c>clientToStreamer</c> channel are up; returns at once when already connected.
    /// </summary>
    /// <exception cref="OdysseyAuthError">The API key was refused.</exception>
    /// <exception cref="OdysseyUsageError">A usage limit (429).</exception>
    /// <exception cref="OdysseyConnectionError">Another connect is running, or connecting failed after every retry.</exception>
    public Task ConnectAsync(OdysseyEventHandlers? handlers = null, CancellationToken cancellationToken = default) =>
        ConnectOnceAsync(handlers, ConnectThroughApiAsync, cancellationToken);

    private async Task ConnectThroughApiAsync(CancellationToken cancellationToken)
    {
        string signalingUrl;
        string sessionId;
        string? sessionToken;
        if (_config.Dev?.SignalingUrl is { } devUrl)
        {
            signalingUrl = devUrl;
            sessionId = _config.Dev.SessionId!;
            sessionToken = _config.Dev.SessionToken;
        }
        else
        {
            SetStatus(ConnectionStatus.Authenticating, "Connecting to Odyssey...");
            var credentials = await MintAsync(cancellationToken).ConfigureAwait(false);
            signalingUrl = credentials.SignalingUrl;
            sessionId = credentials.SessionId;
            sessionToken = credentials.SessionToken;
            lock (_gate)
            {
                _capabilities = credentials.Capabilities;
            }
        }

        lock (_gate)
        {
            _sessionId = sessionId;
        }

        SetStatus(ConnectionStatus.Connecting, "Connecting to signaling server...");
        await RunAttemptsAsync(signalingUrl, sessionId, sessionToken, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One connect at a time, whatever the way in: a typed error fails the client, a cancellation tears the
    /// half-made connection down quietly, and the next connect may start either way.
    /// </summary>
    private async Task ConnectOnceAsync(OdysseyEventHandlers? handlers, Func<CancellationToken, Task> connect, CancellationToken cancellationToken)
    {
        if (!BeginConnect(handlers))
        {
            return;
        }

        BeginTelemetry();
        try
        {
            await connect(cancellationToken).ConfigureAwait(false);
        }
        catch (OdysseyError error)
        {
            Fail(error);
            throw;
        }
        catch (OperationCanceledException)
        {
            await TearDownAsync(ConnectionStatus.Disconnected, "Connect cancelled", fireDisconnected: false).ConfigureAwait(false);
            throw;
        }
        finally
        {
            Volatile.Write(ref _connectInProgress, 0);
        }
    }

    /// <summary>
    /// Steps 2–5 of §2 (auth, queue, session token) for a backend to hand to a frontend; connects nothing.
    /// </summary>
    public async Task<ClientCredentials> CreateClientCredentialsAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return await MintAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Connects with credentials from <see cref="CreateClientCredentialsAsync"/> (steps 7–8 only).</summary>
    public Task ConnectWithCredentialsAsync(ClientCredentials credentials, OdysseyEventHandlers? handlers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return ConnectOnceAsync(handlers, token => ConnectWithCredentialsCoreAsync(credentials, token), cancellationToken);
    }

    private async Task ConnectWithCredentialsCoreAsync(ClientCredentials credentials, CancellationToken cancellationToken)
    {
        _secrets.Add(credentials.SessionToken);
        lock (_gate)
        {
            _sessionId = credentials.SessionId;
            _capabilities = credentials.Capabilities;
        }

        SetStatus(ConnectionStatus.Connecting, "Connecting with pre-minted credentials...");
        await RunAttemptsAsync(credentials.SignalingUrl, credentials.SessionId, credentials.SessionToken, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a stream (§5) and returns its id once <c>stream_started</c> arrives. The start message goes on
    /// the data channel, or on the signalling socket when it carries an image, is larger than the channel's
    /// max message size, or the channel is not open.
    /// </summary>
    /// <exception cref="OdysseyStreamError">Not connected, the session takes no image, or the streamer refused.</exception>
    /// <exception cref="OdysseyUsageError">The streamer refused for a usage limit.</exception>
    /// <exception cref="ArgumentException">The image does not decode (see <see cref="OdysseyImage.PrepareForVideo"/>).</exception>
    public async Task<string> StartStreamAsync(
        string prompt = "",
        bool portrait = true,
        OdysseyImage? image = null,
        bool? bypassPromptExpansion = null,
        bool broadcast = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var connection = RequireConnected("start stream");
        lock (_gate)
        {
            if (image is not null && _capabilities is { ImageToVideo: false })
            {
                throw new OdysseyStreamError("Cannot start stream with an image: this session's streamer does not support image-to-video (capabilities.image_to_video is false)");
            }
        }

        // Decoded and re-encoded before anything is sent, so an undecodable image fails here, clearly.
        var prepared = image?.PrepareForVideo(portrait);
        var json = Json(w =>
        {
            w.WriteString("type", "interactive_stream_start");
            w.WriteString("prompt", prompt);
            w.WriteBoolean("portrait", portrait);
            if (prepared is not null)
            {
                w.WriteString("input_image_base64", prepared.ToDataUrl());
            }

            w.WriteBoolean("broadcast", broadcast);
            if (bypassPromptExpansion is { } bypass)
            {
                w.WriteBoolean("bypass_vlm_expansion", bypass);
            }
        });
        var pending = Replace(ref _pendingStart, "StartStreamAsync");
        var channel = connection.ToStreamer;
        if (StartGoesOnChannel(image is not null, channel?.ReadyState == RtcDataChannelState.Open, Encoding.UTF8.GetByteCount(json), connection.MaxMessageSize))
        {
            await channel!.SendAsync(json, cancellationToken).ConfigureAwait(false);
            _log.Channel("sent", "interactive_stream_start");
        }
        else
        {
            await connection.Signaling.SendAsync("interactive_stream_start", w => CopyFields(json, w), cancellationToken).ConfigureAwait(false);
        }

        var streamId = await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return streamId;
    }

    /// <summary>§5: with an image → signalling; else the data channel when open and the message fits; else signalling.</summary>
    internal static bool StartGoesOnChannel(bool hasImage, bool channelOpen, long bytes, long maxMessageSize) =>
        !hasImage && channelOpen && bytes <= maxMessageSize;

    /// <summary>Sends a prompt (<c>update</c>) and returns the prompt the streamer acknowledged.</summary>
    /// <exception cref="OdysseyStreamError">Not connected, the channel is not open, or the streamer refused.</exception>
    public async Task<string> InteractAsync(string prompt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var channel = RequireChannel("interact");
        var pending = Replace(ref _pendingInteract, "InteractAsync");
        await channel.SendAsync(Json(w =>
        {
            w.WriteString("type", "update");
            w.WriteString("prompt", prompt);
        }), cancellationToken).ConfigureAwait(false);
        _log.Channel("sent", "update");
        return await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends the stream (<c>interactive_stream_end</c>) and waits for <c>stream_ended</c>.</summary>
    public async Task EndStreamAsync(CancellationToken cancellationToken = default)
    {
        var channel = RequireChannel("end stream");
        TaskCompletionSource pending;
        lock (_gate)
        {
            _pendingEnd?.TrySetException(new OdysseyStreamError("EndStreamAsync was superseded by a newer call"));
            _pendingEnd = pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        await channel.SendAsync(Json(w => w.WriteString("type", "interactive_stream_end")), cancellationToken).ConfigureAwait(false);
        _log.Channel("sent", "interactive_stream_end");
        await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes signalling (<c>client_disconnecting</c>, close 1000) and the peer connection; status becomes disconnected.</summary>
    public Task DisconnectAsync() => TearDownAsync(ConnectionStatus.Disconnected, "Disconnected", fireDisconnected: true);

    /// <summary>One recording (API key only; no connection needed).</summary>
    public Task<Recording> GetRecordingAsync(string streamId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamId);
        return _api.GetRecordingAsync(streamId, cancellationToken);
    }

    /// <summary>The caller's recordings, most recent first; limit and offset are sent only when given.</summary>
    public Task<StreamRecordingsList> ListStreamRecordingsAsync(int? limit = null, int? offset = null, CancellationToken cancellationToken = default) =>
        _api.ListStreamRecordingsAsync(limit, offset, cancellationToken);

    /// <summary>Submits a simulation job (a scripted stream run by the server).</summary>
    public Task<SimulationJob> SimulateAsync(SimulationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _api.SimulateAsync(request, cancellationToken);
    }

    /// <summary>A simulation job's status and streams.</summary>
    public Task<SimulationJob> GetSimulateStatusAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        return _api.GetSimulationAsync(jobId, cancellationToken);
    }

    /// <summary>Simulation jobs, filtered by status or activity (1 ≤ limit ≤ 100, offset ≥ 0).</summary>
    public Task<SimulationJobList> ListSimulationsAsync(string? status = null, bool? active = null, int? limit = null, int? offset = null, CancellationToken cancellationToken = default) =>
        _api.ListSimulationsAsync(status, active, limit, offset, cancellationToken);

    /// <summary>Cancels a simulation job; returns its id and new status.</summary>
    public Task<SimulationJob> CancelSimulationAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        return _api.CancelSimulationAsync(jobId, cancellationToken);
    }

    /// <summary>
    /// Watches a broadcast as a spectator (§7, WHEP): <paramref name="webrtcUrl"/> and
    /// <paramref name="spectatorToken"/> come from <see cref="OdysseyEventHandlers.OnBroadcastReady"/>. Needs no
    /// API key and no client instance. Returns once the video is connected (a keyframe has been asked for).
    /// </summary>
    /// <exception cref="OdysseyAuthError">The server refused the token (401 "Invalid spectator token").</exception>
    /// <exception cref="OdysseyStreamError">No such broadcast (404 "Stream not found").</exception>
    /// <exception cref="OdysseyConnectionError">The offer got no answer, or the connection did not come up in time.</exception>
    /// <exception cref="ArgumentException">The URL is not absolute http(s), or the token is blank.</exception>
    public static Task<SpectatorConnection> ConnectToStreamAsync(string webrtcUrl, string spectatorToken, SpectatorOptions? options = null, CancellationToken cancellationToken = default) =>
        SpectatorConnection.ConnectAsync(webrtcUrl, spectatorToken, options, cancellationToken);

    /// <summary>
    /// Decoded frames in <see cref="AdvancedConfig.FramePixelFormat"/>, in order, each OWNED by the reader
    /// (release it). One reader at a time; decoding starts with the first call. When the reader falls behind
    /// the oldest frames are dropped (<see cref="DroppedFrames"/>). Ends when the client is disposed.
    /// </summary>
    public IAsyncEnumerable<VideoFrame> ReadFramesAsync(CancellationToken cancellationToken = default)
    {
        _wantDecoded = true;
        return _decodedFrames.ReadAllAsync(cancellationToken);
    }

    /// <summary>
    /// The encoded frames as received (H.264 Annex-B or VP8), each OWNED by the reader, for pipelines that
    /// decode themselves. Queueing starts with the first call; a slow reader loses the oldest
    /// (<see cref="DroppedEncodedFrames"/>).
    /// </summary>
    public IAsyncEnumerable<EncodedPacket> ReadEncodedFramesAsync(CancellationToken cancellationToken = default)
    {
        _wantEncoded = true;
        return _encodedFrames.ReadAllAsync(cancellationToken);
    }

    /// <summary>Disconnects, ends the frame streams and releases what they still hold.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await TearDownAsync(ConnectionStatus.Disconnected, "Disconnected", fireDisconnected: true).ConfigureAwait(false);
        _disposed = true;
        _decodedFrames.CompleteAndReleaseRest();
        _encodedFrames.CompleteAndReleaseRest();

        if (_telemetry is not null)
        {
            await _telemetry.FlushAsync(TelemetryFlushLimit).ConfigureAwait(false);
        }

        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    /// <summary>Tests drive the streamer-message path without a connection.</summary>
    internal void UseHandlers(OdysseyEventHandlers handlers) => _handlers = handlers;

    /// <summary>§7: <c>session_connecting</c>, and the start of <c>connect_duration_ms</c>.</summary>
    private void BeginTelemetry()
    {
        Volatile.Write(ref _connectStarted, _time.GetTimestamp());
        _telemetry?.Event("session_connecting", SessionId);
    }

    private bool BeginConnect(OdysseyEventHandlers? handlers)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            if (_status == ConnectionStatus.Connected)
            {
                return false;
            }

            if (_status is ConnectionStatus.Authenticating or ConnectionStatus.Connecting or ConnectionStatus.Reconnecting || _connectInProgress != 0)
            {
                throw new OdysseyConnectionError($"Already {StatusText(_status)}");
            }

            _connectInProgress = 1;
            _handlers = handlers ?? new OdysseyEventHandlers();
        }

        return true;
    }

    private async Task<ClientCredentials> MintAsync(CancellationToken cancellationToken)
    {
        var access = await _api.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        var regions = _api.ProbeRegionsAsync(access, cancellationToken);
        var session = await _api.RequestSessionAsync(access, regions, _config.Advanced.QueueTimeout, cancellationToken).ConfigureAwait(false);
        var (token, expiresIn) = await _api.GetSessionTokenAsync(access, session.SessionId, cancellationToken).ConfigureAwait(false);
        return new ClientCredentials
        {
            SessionId = session.SessionId,
            SignalingUrl = session.SignalingUrl,
            SessionToken = token,
            ExpiresIn = expiresIn,
            Capabilities = session.Capabilities,
        };
    }

    /// <summary>§8: attempts of step 7–8, up to MaxRetries more, waiting min(initial × mult^n, max) between.</summary>
    private async Task RunAttemptsAsync(string signalingUrl, string sessionId, string? token, CancellationToken cancellationToken)
    {
        var retries = _config.Advanced.MaxRetries;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await AttemptAsync(signalingUrl, sessionId, token, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OdysseyConnectionError || attempt >= retries || ((OdysseyConnectionError)ex).Reason is not null || cancellationToken.IsCancellationRequested)
            {
                // Final: this attempt's socket and peer go before the error surfaces.
                await DropAttemptAsync().ConfigureAwait(false);
                throw;
            }
            catch (OdysseyConnectionError error)
            {
                await DropAttemptAsync().ConfigureAwait(false);
                var delay = _config.Advanced.RetryDelay(attempt);
                _log.Retrying(attempt + 1, error.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task AttemptAsync(string signalingUrl, string sessionId, string? token, CancellationToken cancellationToken)
    {
        var iceServers = await _api.GetIceServersAsync(signalingUrl, cancellationToken).ConfigureAwait(false);
        var attempt = new Attempt(this, new SignalingClient(_time, _log, _secrets), PeerOptions(iceServers));
        lock (_gate)
        {
            _connection = attempt;
        }

        attempt.Signaling.Message += attempt.OnSignal;
        attempt.Signaling.Closed += attempt.OnSignalingClosed;
        await attempt.Signaling.ConnectAsync(SignalingUrls.Client(signalingUrl, sessionId, token), cancellationToken).ConfigureAwait(false);

        using (var timeout = new CancellationTokenSource(ReadyTimeout, _time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
        {
            var arrived = Task.WhenAll(attempt.VideoArrived.Task, attempt.ChannelArrived.Task);
            try
            {
                await Task.WhenAny(arrived, attempt.Failed.Task).WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                var missing = new List<string>();
                if (!attempt.VideoArrived.Task.IsCompleted)
                {
                    missing.Add("video_track");
                }

                if (!attempt.ChannelArrived.Task.IsCompleted)
                {
                    missing.Add("data_channel");
                }

                throw new OdysseyConnectionError($"Connection timed out waiting for: {string.Join(", ", missing)}");
            }

            if (attempt.Failed.Task.IsCompleted)
            {
                await attempt.Failed.Task.ConfigureAwait(false);
            }
        }

        try
        {
            await Task.WhenAny(attempt.ToStreamer!.WhenOpenAsync(cancellationToken), attempt.Failed.Task)
                .Unwrap().WaitAsync(ChannelOpenTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new OdysseyConnectionError("Timeout waiting for data channel to open");
        }
        catch (Exception ex) when (ex is not OdysseyError and not OperationCanceledException)
        {
            throw new OdysseyConnectionError($"Data channel '{ClientToStreamerLabel}' failed to open: {_secrets.Scrub(ex.Message)}");
        }

        attempt.MarkReady();
        if (attempt.Peer?.TurnFailures is { Count: > 0 } turnFailures)
        {
            _log.Warn(_secrets.Scrub($"connected without a relay: {string.Join("; ", turnFailures)}; host and STUN candidates were used instead"));
        }

        SetStatus(ConnectionStatus.Connected, "Connected");
        _telemetry?.Event("session_connected", SessionId, (long)_time.GetElapsedTime(Volatile.Read(ref _connectStarted)).TotalMilliseconds);
        Invoke(_handlers.OnConnected);
    }

    private PeerConnectionOptions PeerOptions(IReadOnlyList<IceServer> servers) =>
        BuildPeerOptions(_config.Advanced.PeerConnection ?? new PeerConnectionOptions(), servers, _log);

    /// <summary>
    /// §4: the ICE servers of <c>/config</c> on top of the configured options. STUN servers are added (not when
    /// gathering on loopback or named interfaces, where an internet STUN server is neither reachable nor
    /// wanted); TURN servers keep their username and credential (§10: the Python client dropped them) and,
    /// as the JS client does, switch ICE to the relay policy. If every allocation then fails, ICE falls back
    /// to host and STUN candidates (<see cref="IceAgentOptions.RelayFallback"/>) and the failure, naming the
    /// server, is logged once connected. URLs our TURN client cannot use (turns:, TCP) are skipped with a warning.
    /// </summary>
    internal static PeerConnectionOptions BuildPeerOptions(PeerConnectionOptions baseOptions, IReadOnlyList<IceServer> servers, ILogger log)
    {
        var stun = new List<string>(baseOptions.Ice.StunServers);
        var turn = new List<IceTurnServer>(baseOptions.Ice.TurnServers);
        foreach (var server in servers)
        {
            foreach (var url in server.Urls)
            {
                if (url.StartsWith("stun:", StringComparison.OrdinalIgnoreCase))
                {
                    stun.Add(url);
                }
                else if (!url.StartsWith("turn", StringComparison.OrdinalIgnoreCase))
                {
                    log.Warn($"ICE server '{url}' skipped: neither stun: nor turn:");
                }
                else if (!IceTurnServer.IsSupported(url))
                {
                    log.Warn($"TURN server '{url}' skipped: unsupported (only turn: over UDP is; turns: and transport=tcp are not)");
                }
                else if (string.IsNullOrEmpty(server.Username) || server.Credential is null)
                {
                    log.Warn($"TURN server '{url}' skipped: /config gave it no username or credential");
                }
                else
                {
                    turn.Add(new IceTurnServer(url, server.Username, server.Credential));
                }
            }
        }

        log.IceServers(string.Join(", ", servers.SelectMany(s => s.Urls)));
        var ice = baseOptions.Ice;
        if (!ice.LoopbackOnly && ice.Interfaces.Count == 0)
        {
            ice = ice with { StunServers = stun };
        }

        if (turn.Count > 0)
        {
            ice = ice with { TurnServers = turn, TransportPolicy = IceTransportPolicy.Relay, RelayFallback = true };
        }

        return baseOptions with { Ice = ice };
    }

    private Attempt RequireConnected(string action)
    {
        lock (_gate)
        {
            if (_status != ConnectionStatus.Connected || _connection is null)
            {
                throw new OdysseyStreamError($"Cannot {action}: client is {StatusText(_status)}, expected connected");
            }

            return _connection;
        }
    }

    private RtcDataChannel RequireChannel(string action)
    {
        var connection = RequireConnected(action);
        if (connection.ToStreamer is not { ReadyState: RtcDataChannelState.Open } channel)
        {
            throw new OdysseyStreamError("Client to streamer channel not open");
        }

        return channel;
    }

    private TaskCompletionSource<string> Replace(ref TaskCompletionSource<string>? slot, string call)
    {
        var fresh = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            slot?.TrySetException(new OdysseyStreamError($"{call} was superseded by a newer call"));
            slot = fresh;
        }

        return fresh;
    }

    private void SetStatus(ConnectionStatus status, string? message)
    {
        ConnectionStatus previous;
        lock (_gate)
        {
            previous = _status;
            _status = status;
        }

        if (previous == ConnectionStatus.Connected && status == ConnectionStatus.Disconnected)
        {
            _telemetry?.Event("session_disconnected", SessionId);
        }

        _log.Status(status, message);
        Invoke(_handlers.OnStatusChange, status, message);
    }

    /// <summary>A fatal error: status failed, onError(err, true).</summary>
    private void Fail(OdysseyError error)
    {
        SetStatus(ConnectionStatus.Failed, error.Message);
        _telemetry?.Error(error, SessionId, ConnectionStatus.Failed);
        _log.Error(true, error.Message);
        Invoke(_handlers.OnError, error, true);
    }

    /// <summary>The established connection broke (signalling error or close, PC failure, track end).</summary>
    private async Task LoseConnectionAsync(Attempt attempt, OdysseyError? error, ConnectionStatus status, string message)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_connection, attempt))
            {
                return;
            }
        }

        // §9 (JS): cleanup and status first, then onError, then onDisconnected.
        var wasReady = await TearDownAsync(status, message, fireDisconnected: false, keepFailed: status != ConnectionStatus.Failed).ConfigureAwait(false);
        if (error is not null)
        {
            _telemetry?.Error(error, SessionId, Status);
            _log.Error(true, error.Message);
            Invoke(_handlers.OnError, error, true);
        }

        if (wasReady && attempt.TryMarkDisconnected())
        {
            Invoke(_handlers.OnDisconnected);
        }
    }

    /// <summary>Closes the connection and sets the status; returns whether it had been ready (connected).</summary>
    private async Task<bool> TearDownAsync(ConnectionStatus status, string message, bool fireDisconnected, bool keepFailed = false)
    {
        Attempt? connection;
        bool wasReady;
        lock (_gate)
        {
            connection = _connection;
            _connection = null;
            wasReady = connection?.IsReady == true;
            var closed = new OdysseyConnectionError($"Connection closed: {message}");
            _pendingStart?.TrySetException(closed);
            _pendingInteract?.TrySetException(closed);
            _pendingEnd?.TrySetException(closed);
            _pendingStart = _pendingInteract = null;
            _pendingEnd = null;
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        bool changed;
        lock (_gate)
        {
            // §3: a normal close leaves a failed client failed.
            changed = _status != status && !(keepFailed && _status == ConnectionStatus.Failed);
        }

        if (changed)
        {
            SetStatus(status, message);
        }

        if (fireDisconnected && wasReady && connection!.TryMarkDisconnected())
        {
            Invoke(_handlers.OnDisconnected);
        }

        return wasReady;
    }

    private async Task DropAttemptAsync()
    {
        Attempt? connection;
        lock (_gate)
        {
            connection = _connection;
            _connection = null;
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Invoke(Action? handler)
    {
        try
        {
            handler?.Invoke();
        }
        catch (Exception ex)
        {
            _log.Warn($"an event handler threw {ex.GetType().Name}: {_secrets.Scrub(ex.Message)}");
        }
    }

    private void Invoke<T>(Action<T>? handler, T value)
    {
        try
        {
            handler?.Invoke(value);
        }
        catch (Exception ex)
        {
            _log.Warn($"an event handler threw {ex.GetType().Name}: {_secrets.Scrub(ex.Message)}");
        }
    }

    private void Invoke<T1, T2>(Action<T1, T2>? handler, T1 first, T2 second)
    {
        try
        {
            handler?.Invoke(first, second);
        }
        catch (Exception ex)
        {
            _log.Warn($"an event handler threw {ex.GetType().Name}: {_secrets.Scrub(ex.Message)}");
        }
    }

    internal static string StatusText(ConnectionStatus status) => status.ToString().ToLowerInvariant();

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Re-emits every field of <paramref name="json"/> but <c>type</c> (the signalling client writes its own).</summary>
    private static void CopyFields(string json, Utf8JsonWriter writer)
    {
        using var document = JsonDocument.Parse(json);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.NameEquals("type"))
            {
                continue;
            }

            property.WriteTo(writer);
        }
    }
}
