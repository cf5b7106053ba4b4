using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Odyssey.Client.Api;
using Odyssey.Client.Media;
using Odyssey.Media;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Sdp;

namespace Odyssey.Client;

/// <summary>How <see cref="OdysseyClient.ConnectToStreamAsync"/> watches a broadcast.</summary>
public sealed record SpectatorOptions
{
    /// <summary>Each decoded frame (BORROWED: copy what you keep), on the receive thread; as <see cref="OdysseyEventHandlers.OnVideoFrame"/>.</summary>
    public Action<VideoFrame>? OnVideoFrame { get; init; }

    /// <summary>The broadcast's video ended or the connection failed (not fired by <see cref="SpectatorConnection.DisconnectAsync"/>).</summary>
    public Action? OnDisconnected { get; init; }

    /// <summary>Pixel format of decoded frames (RGB, as the main client's).</summary>
    public PixelFormat FramePixelFormat { get; init; } = PixelFormat.Rgb24;

    /// <summary>Decoded frames held for a slow <see cref="SpectatorConnection.ReadFramesAsync"/> reader before the oldest is dropped.</summary>
    public int FrameQueueCapacity { get; init; } = 8;

    /// <summary>HTTP client for <c>/config</c>, the WHEP POST and DELETE; null: one of its own.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>Logging; Debug-level messages only when <see cref="Debug"/> is set.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Emit Debug-level messages (HTTP calls, states).</summary>
    public bool Debug { get; init; }

    /// <summary>Base peer-connection options (e.g. ICE on loopback in tests); the <c>/config</c> STUN servers are added.</summary>
    public PeerConnectionOptions? PeerConnection { get; init; }
}

/// <summary>
/// A spectator's playback of a broadcast (PROTOCOL.md §7 "Spectator (WHEP)"): receive-only video over its own
/// peer connection, with the frames as the main client gives them. Dispose (or <see cref="DisconnectAsync"/>)
/// leaves: the WHEP session is deleted on the server.
/// </summary>
public sealed class SpectatorConnection : IAsyncDisposable
{
    /// <summary>§7: the offer waits at most this long for ICE gathering (non-trickle: candidates go in the offer).</summary>
    public static readonly TimeSpan GatheringTimeout = TimeSpan.FromSeconds(5);

    /// <summary>§7 (PY): the WHEP POST's timeout.</summary>
    public static readonly TimeSpan PostTimeout = TimeSpan.FromSeconds(10);

    /// <summary>§7 (PY): how long to wait for the peer connection to connect.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The DELETE on leaving is best effort: a gone server must not hold the caller.</summary>
    private static readonly TimeSpan DeleteTimeout = TimeSpan.FromSeconds(5);

    private readonly PeerConnection _peer;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ILogger _log;
    private readonly SpectatorOptions _options;
    private readonly VideoFramePool _framePool = new();
    private readonly DropOldestQueue<VideoFrame> _decoded;
    private readonly DropOldestQueue<EncodedPacket> _encoded;
    private FrameReceiver? _receiver;
    private volatile bool _wantDecoded;
    private int _closed;

    private SpectatorConnection(PeerConnection peer, Uri sessionUrl, HttpClient http, bool ownsHttp, ILogger log, SpectatorOptions options)
    {
        _peer = peer;
        SessionUrl = sessionUrl;
        _http = http;
        _ownsHttp = ownsHttp;
        _log = log;
        _options = options;
        _decoded = new DropOldestQueue<VideoFrame>(options.FrameQueueCapacity);

        // Spectators take decoded frames only; the receiver's encoded queue is never asked for.
        _encoded = new DropOldestQueue<EncodedPacket>(1);
    }

    /// <summary>The WHEP session URL (the POST's <c>Location</c>), which DELETE ends.</summary>
    public Uri SessionUrl { get; }

    /// <summary>The underlying peer connection (PY <c>peer_connection</c>).</summary>
    public PeerConnection PeerConnection => _peer;

    /// <summary>The peer connection's state (JS <c>connectionState</c>).</summary>
    public PeerConnectionState ConnectionState => _peer.ConnectionState;

    /// <summary>True while connected and not left (PY <c>is_connected</c>).</summary>
    public bool IsConnected => Volatile.Read(ref _closed) == 0 && _peer.ConnectionState == PeerConnectionState.Connected;

    /// <summary>Frames decoded so far.</summary>
    public long DecodedFrames => _receiver?.DecodedFrames ?? 0;

    /// <summary>Decoded frames dropped because the <see cref="ReadFramesAsync"/> reader fell behind.</summary>
    public long DroppedFrames => _decoded.Dropped;

    /// <summary>
    /// Decoded frames in <see cref="SpectatorOptions.FramePixelFormat"/>, in order, each OWNED by the reader
    /// (release it). One reader at a time. Ends when the connection is left or the broadcast's video ends.
    /// </summary>
    public IAsyncEnumerable<VideoFrame> ReadFramesAsync(CancellationToken cancellationToken = default)
    {
        _wantDecoded = true;
        return _decoded.ReadAllAsync(cancellationToken);
    }

    /// <summary>Leaves: DELETE on the session URL (if still connected, as both official clients), then closes.</summary>
    public async Task DisconnectAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        if (_peer.ConnectionState is PeerConnectionState.Connected or PeerConnectionState.Connecting)
        {
            try
            {
                using var timeout = new CancellationTokenSource(DeleteTimeout);
                using var response = await _http.DeleteAsync(SessionUrl, timeout.Token).ConfigureAwait(false);
                _log.Http("DELETE", "whep session", (int)response.StatusCode);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                _log.Warn($"leaving the broadcast: DELETE of the WHEP session failed ({ex.GetType().Name}); closing anyway");
            }
        }

        await CloseAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await DisconnectAsync().ConfigureAwait(false);

    internal static async Task<SpectatorConnection> ConnectAsync(string webrtcUrl, string spectatorToken, SpectatorOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(webrtcUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(spectatorToken);
        options ??= new SpectatorOptions();
        if (options.FrameQueueCapacity < 1)
        {
            throw new ArgumentException($"SpectatorOptions.FrameQueueCapacity is {options.FrameQueueCapacity}; it must be at least 1", nameof(options));
        }

        if (!Uri.TryCreate(webrtcUrl.TrimEnd('/'), UriKind.Absolute, out var playback) || (playback.Scheme != Uri.UriSchemeHttp && playback.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"webrtc_url '{webrtcUrl}' is not an absolute http(s) URL", nameof(webrtcUrl));
        }

        var secrets = new Secrets();
        secrets.Add(spectatorToken);
        var log = new DebugFilter((options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Odyssey.Client.Spectator"), options.Debug);
        var ownsHttp = options.HttpClient is null;
        var http = options.HttpClient ?? new HttpClient();
        PeerConnection? peer = null;
        try
        {
            // §7: ICE servers from the playback URL's origin, with the same fallback as the main client.
            var origin = playback.GetLeftPart(UriPartial.Authority);
            var api = new OdysseyApi(http, origin, "", TimeProvider.System, secrets, log);
            var servers = await api.GetIceServersAtAsync(origin + "/config", cancellationToken).ConfigureAwait(false);
            var baseOptions = options.PeerConnection ?? new PeerConnectionOptions();
            peer = new PeerConnection(OdysseyClient.BuildPeerOptions(baseOptions, servers, log) with
            {
                // WHEP: we offer, receive-only, no data channels; both codecs the streamer may send.
                VideoDirection = SdpDirection.RecvOnly,
                DataChannels = false,
                VideoCodecs = baseOptions.VideoCodecs ?? [SdpCodecCapability.H264(H264Profile.ConstrainedBaseline), SdpCodecCapability.Vp8],
            });
            var videoArrived = new TaskCompletionSource<RemoteVideoTrack>(TaskCreationOptions.RunContinuationsAsynchronously);
            peer.Track += track => videoArrived.TrySetResult(track);
            await peer.SetLocalDescriptionAsync(await peer.CreateOfferAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            try
            {
                await peer.WhenGatheringCompleteAsync(cancellationToken).WaitAsync(GatheringTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                log.Detail("ICE gathering still running after 5 s; offering the candidates found so far");
            }

            var (answer, sessionUrl) = await PostOfferAsync(http, playback, spectatorToken, peer.LocalDescription!.Sdp, secrets, log, cancellationToken).ConfigureAwait(false);
            await peer.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Answer, answer), cancellationToken).ConfigureAwait(false);
            var connection = new SpectatorConnection(peer, sessionUrl, http, ownsHttp, log, options);
            try
            {
                await connection.WaitConnectedAsync(videoArrived.Task, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await connection.DisconnectAsync().ConfigureAwait(false);
                throw;
            }

            return connection;
        }
        catch (Exception ex) when (ex is not OdysseyError and not OperationCanceledException and not ArgumentException)
        {
            await CleanUpAsync(peer, http, ownsHttp).ConfigureAwait(false);
            throw new OdysseyConnectionError($"Spectator connection to the broadcast failed: {secrets.Scrub(ex.Message)}", ex);
        }
        catch (Exception ex) when (ex is OdysseyError or OperationCanceledException or ArgumentException)
        {
            await CleanUpAsync(peer, http, ownsHttp).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>§7: POST the offer to <c>&lt;webrtc_url&gt;/whep?token=…</c>; the answer is the body, the session URL the <c>Location</c>.</summary>
    private static async Task<(string Answer, Uri SessionUrl)> PostOfferAsync(HttpClient http, Uri playback, string token, string offer, Secrets secrets, ILogger log, CancellationToken cancellationToken)
    {
        var whep = new Uri(playback.AbsoluteUri.TrimEnd('/') + "/whep?token=" + Uri.EscapeDataString(token));
        using var content = new StringContent(offer, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PostTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(whep, content, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OdysseyConnectionError($"WHEP offer to {secrets.Scrub(playback.AbsoluteUri)}/whep got no answer within {PostTimeout.TotalSeconds:F0} s");
        }

        using (response)
        {
            log.Http("POST", "whep", (int)response.StatusCode);
            switch (response.StatusCode)
            {
                case HttpStatusCode.Unauthorized:
                    throw new OdysseyAuthError("Invalid spectator token");
                case HttpStatusCode.NotFound:
                    throw new OdysseyStreamError("Stream not found");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new OdysseyConnectionError($"WHEP offer failed: {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            var answer = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var location = response.Headers.Location
                ?? throw new OdysseyConnectionError("WHEP answer has no Location header: the session cannot be left");

            // §7: Location is resolved against the POST URL (it is usually relative).
            return (answer, location.IsAbsoluteUri ? location : new Uri(whep, location));
        }
    }

    private static async Task CleanUpAsync(PeerConnection? peer, HttpClient http, bool ownsHttp)
    {
        if (peer is not null)
        {
            await peer.DisposeAsync().ConfigureAwait(false);
        }

        if (ownsHttp)
        {
            http.Dispose();
        }
    }

    /// <summary>Connected within <see cref="ConnectTimeout"/>, then a PLI so the picture starts at once (§7, PY).</summary>
    private async Task WaitConnectedAsync(Task<RemoteVideoTrack> videoArrived, CancellationToken cancellationToken)
    {
        try
        {
            await _peer.WhenConnectedAsync(cancellationToken).WaitAsync(ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new OdysseyConnectionError($"Spectator connection not established within {ConnectTimeout.TotalSeconds:F0} s");
        }
        catch (PeerConnectionFailedException ex)
        {
            throw new OdysseyConnectionError($"Spectator connection failed: {ex.Message}", ex);
        }

        if (!videoArrived.IsCompleted)
        {
            throw new OdysseyConnectionError("The broadcast's answer carries no video");
        }

        var track = await videoArrived.ConfigureAwait(false);
        _receiver = new FrameReceiver(track, _framePool, _options.FramePixelFormat, _options.OnVideoFrame, () => _wantDecoded, static () => false, _decoded.Writer, _encoded.Writer, _log);
        _ = _receiver.Ended.ContinueWith(
            _ =>
            {
                if (Volatile.Read(ref _closed) == 0 && _receiver.EndedByPeer)
                {
                    _ = Task.Run(OnLostAsync);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        _peer.ConnectionStateChanged += state =>
        {
            if (state is PeerConnectionState.Failed or PeerConnectionState.Closed && Volatile.Read(ref _closed) == 0)
            {
                _ = Task.Run(OnLostAsync);
            }
        };
        track.RequestKeyframe();
    }

    private async Task OnLostAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        await CloseAsync().ConfigureAwait(false);
        try
        {
            _options.OnDisconnected?.Invoke();
        }
        catch (Exception ex)
        {
            _log.Warn($"the OnDisconnected handler threw {ex.GetType().Name}: {ex.Message}");
        }
    }

    private async Task CloseAsync()
    {
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync().ConfigureAwait(false);
        }

        await _peer.DisposeAsync().ConfigureAwait(false);
        _decoded.CompleteAndReleaseRest();
        _encoded.CompleteAndReleaseRest();

        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}
