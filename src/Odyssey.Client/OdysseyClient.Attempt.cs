using System.Net.WebSockets;
using System.Text.Json;
using Odyssey.Client.Api;
using Odyssey.Client.Media;
using Odyssey.Client.Signaling;
using Odyssey.Media;
using Odyssey.WebRtc;

namespace Odyssey.Client;

public sealed partial class OdysseyClient
{
    /// <summary>
    /// How long the answer waits for our candidates before it goes out: candidates gathered by then travel
    /// in the answer (what an aiortc streamer expects, §11.3), later ones are trickled (what JS does).
    /// </summary>
    private static readonly TimeSpan AnswerGatheringWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// One connection attempt and, once ready, the live connection: the signalling socket, the peer
    /// connection, its channels and the frame pump. Failures before ready fault <see cref="Failed"/> (the
    /// retry loop decides); after ready they tear the connection down.
    /// </summary>
    private sealed class Attempt : IAsyncDisposable
    {
        private readonly OdysseyClient _owner;
        private readonly PeerConnectionOptions _options;
        private readonly Lock _gate = new();
        private readonly List<(string Candidate, string? Mid)> _remoteCandidates = [];
        private readonly List<RtcIceCandidate> _localCandidates = [];
        private bool _answerSent;
        private bool _offerSeen;
        private volatile bool _ready;
        private volatile bool _disposing;
        private int _disconnected;
        private FrameReceiver? _receiver;

        public Attempt(OdysseyClient owner, SignalingClient signaling, PeerConnectionOptions options)
        {
            _owner = owner;
            _options = options;
            Signaling = signaling;
        }

        public SignalingClient Signaling { get; }

        public PeerConnection? Peer { get; private set; }

        public RtcDataChannel? ToStreamer { get; private set; }

        public TaskCompletionSource VideoArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ChannelArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Faults when the attempt fails before it is ready; never completes successfully.</summary>
        public TaskCompletionSource Failed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsReady => _ready;

        /// <summary>§4: SCTP's max message size when known and positive, else 16 KiB.</summary>
        public long MaxMessageSize
        {
            get
            {
                try
                {
                    return Peer?.SctpMaxMessageSize is > 0 and var size ? size : FallbackDataChannelMessageSize;
                }
                catch (NotImplementedException)
                {
                    return FallbackDataChannelMessageSize;
                }
            }
        }

        public void MarkReady() => _ready = true;

        public bool TryMarkDisconnected() => Interlocked.Exchange(ref _disconnected, 1) == 0;

        public void OnSignal(string type, JsonElement message)
        {
            switch (type)
            {
                case "offer":
                    var sdp = OdysseyApi.String(message, "sdp");
                    lock (_gate)
                    {
                        if (_offerSeen)
                        {
                            _owner._log.Warn("a second offer ignored: renegotiation is not supported");
                            return;
                        }

                        _offerSeen = true;
                    }

                    if (sdp is null)
                    {
                        Fail(new OdysseyConnectionError("Signalling 'offer' has no 'sdp' string"));
                        return;
                    }

                    _ = Task.Run(() => AnswerAsync(sdp));
                    break;
                case "ice_candidate":
                    AddRemoteCandidate(message);
                    break;
                case "error":
                    var reason = OdysseyApi.String(message, "reason") ?? "unknown";
                    var error = new OdysseyConnectionError(ErrorMapping.SignalingReason(reason)) { Reason = reason };
                    if (!_ready)
                    {
                        Fail(error);
                    }
                    else
                    {
                        _ = Task.Run(() => _owner.LoseConnectionAsync(this, error, ConnectionStatus.Failed, error.Message));
                    }

                    break;
                default:
                    // §3: unknown types are ignored.
                    break;
            }
        }

        public void OnSignalingClosed(WebSocketCloseStatus? status, string description)
        {
            if (_disposing)
            {
                return;
            }

            if (!_ready)
            {
                // §3: a close before ready fails this attempt; the retry loop takes over.
                Fail(new OdysseyConnectionError(status is { } code and not WebSocketCloseStatus.NormalClosure
                    ? $"{description} (code: {(int)code})"
                    : description));
                return;
            }

            if (status is WebSocketCloseStatus.NormalClosure or WebSocketCloseStatus.EndpointUnavailable)
            {
                _ = Task.Run(() => _owner.LoseConnectionAsync(this, null, ConnectionStatus.Disconnected, "Signaling closed"));
                return;
            }

            var error = new OdysseyConnectionError(description.StartsWith("Signaling disconnected", StringComparison.Ordinal)
                ? description
                : status is null ? "Disconnected from signaling server" : $"Signaling disconnected: {description}");
            _ = Task.Run(() => _owner.LoseConnectionAsync(this, error, ConnectionStatus.Failed, error.Message));
        }

        public async ValueTask DisposeAsync()
        {
            _disposing = true;
            Failed.TrySetException(new OdysseyConnectionError("Connection attempt abandoned"));
            _ = Failed.Task.Exception; // observed: an abandoned attempt's fault is not news
            await Signaling.DisposeAsync().ConfigureAwait(false);
            if (_receiver is not null)
            {
                await _receiver.DisposeAsync().ConfigureAwait(false);
            }

            if (Peer is not null)
            {
                await Peer.DisposeAsync().ConfigureAwait(false);
            }
        }

        private void Fail(OdysseyConnectionError error) => Failed.TrySetException(error);

        private async Task AnswerAsync(string sdp)
        {
            try
            {
                var peer = new PeerConnection(_options);
                peer.LocalCandidate += OnLocalCandidate;
                peer.Track += OnTrack;
                peer.DataChannel += OnDataChannel;
                peer.ConnectionStateChanged += OnPeerState;
                List<(string Candidate, string? Mid)> early;
                lock (_gate)
                {
                    Peer = peer;
                }

                await peer.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Offer, sdp)).ConfigureAwait(false);
                var answer = await peer.CreateAnswerAsync().ConfigureAwait(false);
                await peer.SetLocalDescriptionAsync(answer).ConfigureAwait(false);
                lock (_gate)
                {
                    early = [.. _remoteCandidates];
                    _remoteCandidates.Clear();
                }

                foreach (var (candidate, mid) in early)
                {
                    AddToPeer(peer, candidate, mid);
                }

                try
                {
                    await peer.WhenGatheringCompleteAsync().WaitAsync(AnswerGatheringWait, _owner._time).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // The rest are trickled.
                }

                RtcSessionDescription local;
                lock (_gate)
                {
                    local = peer.LocalDescription ?? answer;
                    _localCandidates.Clear(); // listed in the answer itself
                    _answerSent = true;
                }

                await Signaling.SendAsync("answer", w => w.WriteString("sdp", local.Sdp), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Fail(new OdysseyConnectionError($"Answering the streamer's offer failed: {_owner._secrets.Scrub(ex.Message)}"));
            }
        }

        private void OnLocalCandidate(RtcIceCandidate candidate)
        {
            lock (_gate)
            {
                if (!_answerSent)
                {
                    _localCandidates.Add(candidate);
                    return;
                }
            }

            _ = SendCandidateAsync(candidate);
        }

        private async Task SendCandidateAsync(RtcIceCandidate candidate)
        {
            try
            {
                await Signaling.SendAsync("ice_candidate", w =>
                {
                    w.WriteString("candidate", candidate.Candidate);
                    w.WriteString("sdpMid", candidate.SdpMid);
                    w.WriteNumber("sdpMLineIndex", candidate.SdpMLineIndex);
                }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (OdysseyConnectionError ex)
            {
                _owner._log.Detail($"candidate not trickled: {ex.Message}");
            }
        }

        private void AddRemoteCandidate(JsonElement message)
        {
            var candidate = OdysseyApi.String(message, "candidate");
            if (string.IsNullOrWhiteSpace(candidate))
            {
                return; // §4: empty candidates are ignored
            }

            if (!candidate.StartsWith("candidate:", StringComparison.Ordinal) && !candidate.StartsWith("a=candidate:", StringComparison.Ordinal))
            {
                candidate = "candidate:" + candidate;
            }

            var mid = OdysseyApi.String(message, "sdpMid");
            PeerConnection? peer;
            lock (_gate)
            {
                peer = _answerSent || Peer?.RemoteDescription is not null ? Peer : null;
                if (peer is null)
                {
                    _remoteCandidates.Add((candidate, mid));
                    return;
                }
            }

            AddToPeer(peer, candidate, mid);
        }

        private void AddToPeer(PeerConnection peer, string candidate, string? mid)
        {
            try
            {
                peer.AddRemoteIceCandidate(candidate, mid);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or ObjectDisposedException)
            {
                _owner._log.Warn($"remote ICE candidate ignored: {ex.Message}");
            }
        }

        private void OnTrack(RemoteVideoTrack track)
        {
            var owner = _owner;
            _receiver = new FrameReceiver(
                track,
                owner._framePool,
                owner._config.Advanced.FramePixelFormat,
                owner._handlers.OnVideoFrame,
                () => owner._wantDecoded,
                () => owner._wantEncoded,
                owner._decodedFrames.Writer,
                owner._encodedFrames.Writer,
                owner._log);
            _ = _receiver.Ended.ContinueWith(
                _ =>
                {
                    if (!_disposing && _ready && _receiver.EndedByPeer)
                    {
                        _ = Task.Run(() => owner.LoseConnectionAsync(this, null, ConnectionStatus.Disconnected, "Video track ended"));
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            VideoArrived.TrySetResult();
        }

        private void OnDataChannel(RtcDataChannel channel)
        {
            switch (channel.Label)
            {
                case ClientToStreamerLabel:
                    ToStreamer = channel;
                    ChannelArrived.TrySetResult();
                    break;
                case StreamerToClientLabel:
                    channel.Message += OnStreamerMessage;
                    break;
                default:
                    _owner._log.Warn($"data channel '{channel.Label}' ignored");
                    break;
            }
        }

        private void OnPeerState(PeerConnectionState state)
        {
            if (state != PeerConnectionState.Failed || _disposing)
            {
                return;
            }

            var error = new OdysseyConnectionError($"Peer connection failed: {Peer?.Failure?.Message ?? "ICE or DTLS failed"}");
            if (!_ready)
            {
                Fail(error);
                return;
            }

            // §10: the Python client ignores this; we end the connection with status failed.
            _ = Task.Run(() => _owner.LoseConnectionAsync(this, error, ConnectionStatus.Failed, error.Message));
        }

        private void OnStreamerMessage(RtcDataChannel channel, RtcDataChannelMessage message)
        {
            string text;
            try
            {
                text = message.Text;
            }
            catch (ArgumentException ex)
            {
                _owner.Invoke(_owner._handlers.OnError, new OdysseyError($"'{StreamerToClientLabel}' message is not UTF-8: {ex.Message}"), false);
                return;
            }

            _owner.HandleStreamerMessage(text);
        }
    }

    /// <summary>§5: one message from <c>streamerToClient</c>. A malformed one is a non-fatal error.</summary>
    internal void HandleStreamerMessage(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var type = OdysseyApi.String(root, "type");
            if (type is null)
            {
                throw new OdysseyError($"'{StreamerToClientLabel}' message has no string 'type'");
            }

            _log.Channel("received", type);
            switch (type)
            {
                case "stream_started":
                    var streamId = OdysseyApi.String(root, "stream_id") ?? throw new OdysseyError("'stream_started' has no 'stream_id'");
                    TaskCompletionSource<string>? start;
                    lock (_gate)
                    {
                        _streamId = streamId;
                        if (OdysseyApi.String(root, "applied_prompt") is { } applied)
                        {
                            _lastAppliedPrompt = applied;
                        }

                        start = _pendingStart;
                        _pendingStart = null;
                    }

                    start?.TrySetResult(streamId);
                    Invoke(_handlers.OnStreamStarted, streamId);
                    break;
                case "update_acknowledged":
                    var prompt = OdysseyApi.String(root, "prompt") ?? "";
                    TaskCompletionSource<string>? interact;
                    lock (_gate)
                    {
                        _lastAppliedPrompt = prompt;
                        interact = _pendingInteract;
                        _pendingInteract = null;
                    }

                    interact?.TrySetResult(prompt);
                    Invoke(_handlers.OnInteractAcknowledged, prompt);
                    break;
                case "stream_ended":
                    TaskCompletionSource? end;
                    lock (_gate)
                    {
                        end = _pendingEnd;
                        _pendingEnd = null;
                    }

                    end?.TrySetResult();
                    Invoke(_handlers.OnStreamEnded);
                    break;
                case "interactive_stream_error":
                    var reason = OdysseyApi.String(root, "reason") ?? "unknown";
                    var message = OdysseyApi.String(root, "message") ?? "Stream error occurred";
                    var error = ErrorMapping.StreamError(reason, message);
                    TaskCompletionSource<string>? failedStart, failedInteract;
                    lock (_gate)
                    {
                        failedStart = _pendingStart;
                        failedInteract = _pendingInteract;
                        _pendingStart = _pendingInteract = null;
                    }

                    failedStart?.TrySetException(error);
                    failedInteract?.TrySetException(error);
                    Invoke(_handlers.OnStreamError, reason, message);
                    break;
                case "broadcast_ready":
                    var webrtc = OdysseyApi.String(root, "webrtc_url");
                    var token = OdysseyApi.String(root, "spectator_token");
                    if (webrtc is null || token is null)
                    {
                        Invoke(_handlers.OnStreamError, "broadcast_error", "Broadcast setup incomplete: missing playback URL or token");
                        break;
                    }

                    _secrets.Add(token);
                    Invoke(_handlers.OnBroadcastReady, new BroadcastInfo(OdysseyApi.String(root, "broadcast_url"), webrtc, token));
                    break;
                default:
                    break;
            }
        }
        catch (Exception ex) when (ex is JsonException or OdysseyError)
        {
            var error = ex as OdysseyError ?? new OdysseyError($"'{StreamerToClientLabel}' message is not JSON: {ex.Message}");
            _log.Error(false, error.Message);
            Invoke(_handlers.OnError, error, false);
        }
    }
}
