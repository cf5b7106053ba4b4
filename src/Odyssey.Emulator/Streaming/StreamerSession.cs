using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Odyssey.Emulator.Broadcast;
using Odyssey.Emulator.Recordings;
using Odyssey.Emulator.Sessions;
using Odyssey.Emulator.World;
using Odyssey.Media;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;
using Odyssey.WebRtc.Sdp;

namespace Odyssey.Emulator.Streaming;

/// <summary>How the streamer wants its connection ended.</summary>
internal enum StreamerClose
{
    /// <summary>The per-stream limit passed: <c>session_timeout</c> was sent; close normally and end the session.</summary>
    SessionTimeout,

    /// <summary>The drop fault: abort the WebSocket with no close frame.</summary>
    Drop,

    /// <summary>The peer connection failed: signalling <c>error</c> <c>streamer_disconnected</c>.</summary>
    PeerFailed,

    /// <summary>The per-connection limit passed: signalling <c>error</c> <c>duration_limit_reached</c>; the session ends.</summary>
    DurationLimit,
}

/// <summary>The signalling side a streamer talks through (the session's WebSocket).</summary>
internal interface ISignalChannel
{
    ValueTask SendAsync(JsonObject message);

    void Close(StreamerClose why);
}

/// <summary>
/// One streamer serving one session: a <see cref="PeerConnection"/> that offers video (H.264 or VP8) and
/// the <c>clientToStreamer</c>/<c>streamerToClient</c> data channels, trickles its candidates, then renders
/// the world in real time, sends and records it, and runs the <see cref="InteractiveStreamController"/> on
/// the messages from the data channel (and starts from the WebSocket).
/// </summary>
/// <remarks>
/// Threads: data-channel events only queue messages; one message loop runs the controller; one video loop
/// renders, encodes and sends. The recorder is shared by both under <c>_recordingGate</c>.
/// </remarks>
internal sealed class StreamerSession : IStreamHost, IBroadcastSource, IAsyncDisposable
{
    public const string ClientToStreamerLabel = "clientToStreamer";
    public const string StreamerToClientLabel = "streamerToClient";

    /// <summary>Client messages waiting for the message loop; beyond this a flooding client loses messages (logged).</summary>
    private const int InboundCapacity = 64;

    private readonly EmulatorContext _context;
    private readonly EmulatorSession _session;
    private readonly ISignalChannel _signal;
    private readonly PeerConnection _peer;
    private readonly InteractiveStreamController _controller;
    private readonly FrameSendTimes _frameTimes;
    private readonly Channel<(string? Text, MessageTransport Transport)> _inbound =
        Channel.CreateBounded<(string?, MessageTransport)>(new BoundedChannelOptions(InboundCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _recordingGate = new();
    private readonly Lock _spectatorGate = new();

    /// <summary>Spectators' tracks; replaced (copy on write) when one joins or leaves, so the video loop reads it without a lock or an allocation.</summary>
    private volatile LocalVideoTrack[] _spectators = [];
    private string? _broadcastStreamId;
    private RtcDataChannel? _toClient;
    private StreamRecorder? _recorder;
    private volatile Scene _scene = Scene.Waiting;
    private volatile bool _portrait;
    private volatile bool _keyframeWanted;
    private long _streamStartTimestamp;
    private bool _expiryPosted;
    private bool _dropSignalled;
    private Task _messageLoop = Task.CompletedTask;
    private Task _videoLoop = Task.CompletedTask;

    public StreamerSession(EmulatorContext context, EmulatorSession session, ISignalChannel signal)
    {
        _context = context;
        _session = session;
        _signal = signal;
        var options = context.Options;
        _frameTimes = context.FrameTimes.GetOrAdd(session.Id, static _ => new FrameSendTimes());
        _peer = new PeerConnection(new PeerConnectionOptions
        {
            // Loopback: IPv4 only, as aiortc (patched to 127.0.0.1 in tests) and our own tests pair.
            Ice = new IceAgentOptions { LoopbackOnly = options.LoopbackIceOnly, UseIPv6 = !options.LoopbackIceOnly },
            VideoCodecs = [options.Codec == VideoCodec.H264 ? SdpCodecCapability.H264(H264Profile.ConstrainedBaseline) : SdpCodecCapability.Vp8],
            PacketPool = context.Packets,
            SendLossRate = options.MediaPacketLossRate,
        });
        _controller = new InteractiveStreamController(this, ReplyAsync, options.ForcedStreamErrorReason, context.Log);
    }

    public PeerConnection Peer => _peer;

    /// <summary>True when the data channels exist (the WebRtc build has them); false: only the WebSocket start path works.</summary>
    public bool HasDataChannels { get; private set; }

    /// <summary>Creates the channels and the offer, sends it, and starts trickling and the loops.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            // The streamer creates both channels (PROTOCOL.md §4); the client only ever sends on the first.
            var fromClient = _peer.CreateDataChannel(ClientToStreamerLabel);
            _toClient = _peer.CreateDataChannel(StreamerToClientLabel);
            fromClient.Message += OnDataChannelMessage;
            HasDataChannels = true;
        }
        catch (NotImplementedException)
        {
            _context.Log($"session {_session.Id}: this WebRtc build has no data channels; start works over the WebSocket only");
        }

        _peer.LocalCandidate += OnLocalCandidate;
        _peer.ConnectionStateChanged += OnStateChanged;
        var offer = await _peer.CreateOfferAsync(cancellationToken);
        await _signal.SendAsync(new JsonObject { ["type"] = "offer", ["sdp"] = offer.Sdp });
        await _peer.SetLocalDescriptionAsync(offer, cancellationToken);
        _messageLoop = Task.Run(MessageLoopAsync, CancellationToken.None);
        _videoLoop = Task.Run(VideoLoopAsync, CancellationToken.None);
    }

    public Task ApplyAnswerAsync(string sdp) => _peer.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Answer, sdp));

    /// <summary>A trickled client candidate; PY-style forgiveness: "candidate:" added when missing, empty ignored.</summary>
    public void AddRemoteCandidate(string candidate, string? sdpMid)
    {
        if (string.IsNullOrWhiteSpace(candidate))
        {
            return;
        }

        var line = candidate.StartsWith("candidate:", StringComparison.Ordinal) || candidate.StartsWith("a=", StringComparison.Ordinal) ? candidate : "candidate:" + candidate;
        try
        {
            _peer.AddRemoteIceCandidate(line, sdpMid);
        }
        catch (Exception e) when (e is IceCandidateFormatException or ArgumentException or InvalidOperationException)
        {
            _context.Log($"session {_session.Id}: ignored client candidate '{candidate}' (mid {sdpMid}): {e.Message}");
        }
    }

    /// <summary>Queues a client message for the controller; false when the queue is full (the message is dropped).</summary>
    public bool Post(string text, MessageTransport transport)
    {
        if (_inbound.Writer.TryWrite((text, transport)))
        {
            return true;
        }

        _context.Log($"session {_session.Id}: dropped a client message: {InboundCapacity} are already waiting");
        return false;
    }

    // ------------------------------------------------------------ IStreamHost (message loop)

    string IStreamHost.StartStream(Scene scene, bool portrait)
    {
        var streamId = "stream_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var options = _context.Options;
        var (width, height) = portrait ? (options.Height, options.Width) : (options.Width, options.Height);
        lock (_recordingGate)
        {
            _recorder = new StreamRecorder(_context.Recordings, streamId, _session.ApiKey, options.Codec, width, height, options.Fps, _context.Time) { Log = _context.Log };
            _streamStartTimestamp = _context.Time.GetTimestamp();
            _expiryPosted = false;
        }

        _portrait = portrait;
        _scene = scene;
        _keyframeWanted = true; // the recording starts at a keyframe
        return streamId;
    }

    void IStreamHost.ShowScene(Scene scene) => _scene = scene;

    void IStreamHost.RecordEvent(string type, JsonObject fields)
    {
        lock (_recordingGate)
        {
            _recorder?.Event(type, fields);
        }
    }

    BroadcastAnnouncement IStreamHost.StartBroadcast(string streamId)
    {
        _broadcastStreamId = streamId;
        return _context.Broadcasts.Open(streamId, this);
    }

    void IStreamHost.EndStream()
    {
        CloseBroadcast();
        lock (_recordingGate)
        {
            if (_recorder is { } recorder)
            {
                var info = recorder.Complete();
                _context.Log($"recording {info.StreamId}: {info.FrameCount} frames, {info.DurationSeconds} s → {info.VideoPath}");
            }

            _recorder = null;
        }

        _scene = Scene.Waiting;
    }

    // ------------------------------------------------------------ IBroadcastSource (HTTP threads)

    void IBroadcastSource.AddSpectator(LocalVideoTrack track)
    {
        lock (_spectatorGate)
        {
            _spectators = [.. _spectators, track];
        }
    }

    void IBroadcastSource.RemoveSpectator(LocalVideoTrack track)
    {
        lock (_spectatorGate)
        {
            _spectators = Array.FindAll(_spectators, t => !ReferenceEquals(t, track));
        }
    }

    void IBroadcastSource.RequestKeyframe() => _keyframeWanted = true;

    /// <summary>The broadcast ends with its stream: spectators are disconnected (in the background: EndStream runs on the message loop).</summary>
    private void CloseBroadcast()
    {
        if (Interlocked.Exchange(ref _broadcastStreamId, null) is { } streamId)
        {
            _ = _context.Broadcasts.CloseAsync(streamId);
        }
    }

    // ------------------------------------------------------------ loops

    private async Task MessageLoopAsync()
    {
        try
        {
            await foreach (var (text, transport) in _inbound.Reader.ReadAllAsync(_stop.Token))
            {
                if (text is null)
                {
                    await _controller.ExpireAsync();
                    _signal.Close(StreamerClose.SessionTimeout);
                    continue;
                }

                await _controller.HandleAsync(text, transport);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // the loop must not die silently: log and end the session as a failed streamer
        catch (Exception e)
#pragma warning restore CA1031
        {
            _context.Log($"session {_session.Id}: message loop failed: {e}");
            _signal.Close(StreamerClose.PeerFailed);
        }
    }

    private async Task VideoLoopAsync()
    {
        var options = _context.Options;
        try
        {
            await _peer.WhenConnectedAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (PeerConnectionFailedException e)
        {
            _context.Log($"session {_session.Id}: peer connection failed: {e.Message}");
            _signal.Close(StreamerClose.PeerFailed);
            return;
        }

        var track = _peer.LocalVideo!;
        track.KeyframeRequested += OnKeyframeRequested;
        WorldEncoder? encoder = null;
        long index = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / options.Fps), _context.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var (width, height) = _portrait ? (options.Height, options.Width) : (options.Width, options.Height);
                if (encoder is null || encoder.Width != width || encoder.Height != height)
                {
                    encoder?.Dispose();
                    encoder = new WorldEncoder(options.Codec, width, height, options.Fps, options.BitrateKbps, _context.Packets);
                }

                if (_keyframeWanted)
                {
                    _keyframeWanted = false;
                    encoder.RequestKeyframe();
                }

                encoder.Render(_scene, index);
                _frameTimes.Record(index, _context.Time.GetUtcNow());
                while (encoder.TryReceive(out var packet))
                {
                    track.SendFrame(packet);
                    foreach (var spectator in _spectators)
                    {
                        spectator.SendFrame(packet);
                    }

                    lock (_recordingGate)
                    {
                        if (_recorder is { } recorder && recorder.Width == encoder.Width && recorder.Height == encoder.Height)
                        {
                            recorder.Write(packet);
                        }
                    }

                    packet.Release();
                }

                index++;
                CheckLimits();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // an encoder or muxer failure ends this session, not the server
        catch (Exception e)
#pragma warning restore CA1031
        {
            _context.Log($"session {_session.Id}: video loop failed: {e}");
            _signal.Close(StreamerClose.PeerFailed);
        }
        finally
        {
            track.KeyframeRequested -= OnKeyframeRequested;
            encoder?.Dispose();
        }
    }

    /// <summary>Per-stream limit and the drop fault, checked once per frame.</summary>
    private void CheckLimits()
    {
        TimeSpan elapsed;
        lock (_recordingGate)
        {
            if (_recorder is null)
            {
                return;
            }

            elapsed = _context.Time.GetElapsedTime(_streamStartTimestamp);
        }

        var options = _context.Options;
        if (options.MaxStreamDuration is { } limit && elapsed >= limit && !_expiryPosted)
        {
            _expiryPosted = true;
            _inbound.Writer.TryWrite((null, MessageTransport.DataChannel)); // null text = the expiry
        }

        if (options.DropConnectionAfter is { } drop && elapsed >= drop && !_dropSignalled)
        {
            _dropSignalled = true;
            _context.Log($"session {_session.Id}: fault: dropping the connection {elapsed.TotalSeconds:F1} s into the stream");
            _signal.Close(StreamerClose.Drop);
        }
    }

    // ------------------------------------------------------------ events (other threads)

    private void OnDataChannelMessage(RtcDataChannel channel, RtcDataChannelMessage message) => Post(message.Text, MessageTransport.DataChannel);

    private void OnLocalCandidate(RtcIceCandidate candidate) =>
        _ = _signal.SendAsync(new JsonObject
        {
            ["type"] = "ice_candidate",
            ["candidate"] = candidate.Candidate,
            ["sdpMid"] = candidate.SdpMid,
            ["sdpMLineIndex"] = candidate.SdpMLineIndex,
        }).AsTask();

    private void OnStateChanged(PeerConnectionState state)
    {
        _context.Log($"session {_session.Id}: peer connection {state}");
        if (state == PeerConnectionState.Failed)
        {
            _signal.Close(StreamerClose.PeerFailed);
        }
    }

    private void OnKeyframeRequested(object? sender, EventArgs e) => _keyframeWanted = true;

    /// <summary>Replies go on <c>streamerToClient</c>; when it is not open (or this build has none), over the WebSocket instead.</summary>
    private async ValueTask ReplyAsync(JsonObject message)
    {
        if (_toClient is { ReadyState: RtcDataChannelState.Open } channel)
        {
            try
            {
                await channel.SendAsync(message.ToJsonString());
                return;
            }
            catch (InvalidOperationException)
            {
                // closed meanwhile: fall through to the WebSocket
            }
        }

        await _signal.SendAsync(message);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _inbound.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_messageLoop, _videoLoop);
        }
        catch (OperationCanceledException)
        {
        }

        _controller.Abandon();
        CloseBroadcast();
        _peer.LocalCandidate -= OnLocalCandidate;
        _peer.ConnectionStateChanged -= OnStateChanged;
        await _peer.DisposeAsync();
        _stop.Dispose();
    }
}
