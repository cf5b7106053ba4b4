using System.Diagnostics;
using System.Globalization;
using Odyssey.Media;
using Odyssey.WebRtc.DataChannels;
using Odyssey.WebRtc.Dtls;
using Odyssey.WebRtc.Ice;
using Odyssey.WebRtc.Rtp;
using Odyssey.WebRtc.Sctp;
using Odyssey.WebRtc.Sdp;

namespace Odyssey.WebRtc;

/// <summary>
/// A WebRTC peer connection for one video stream each way and (part 2) data channels, modelled on the W3C
/// RTCPeerConnection: offer/answer with SDP text, trickle ICE both ways, connection-state events, a remote
/// video track delivering whole encoded frames and a local one taking them.
/// </summary>
/// <remarks>
/// Wiring: the ICE agent's selected pair carries everything; each datagram is routed by its first byte
/// (RFC 7983): DTLS to the <see cref="Dtls.DtlsTransport"/> (role from a=setup, the peer's certificate
/// checked against the remote a=fingerprint), RTP and RTCP to SRTP keyed by the DTLS exporter, then to the
/// RTP streams (SSRCs, payload types and RTX from the SDP), whose depacketizers yield frames. Audio m-lines
/// are rejected, or accepted and their packets dropped (<see cref="PeerConnectionOptions.UnsupportedMedia"/>).
/// Events are raised on background threads, never while the connection holds a lock.
/// Answerer: <c>SetRemoteDescriptionAsync(offer)</c>, <c>CreateAnswerAsync</c>, <c>SetLocalDescriptionAsync</c>,
/// then signal <see cref="LocalCandidate"/>s (or wait for <see cref="WhenGatheringCompleteAsync"/> and send
/// <see cref="LocalDescription"/>, which then lists them). Offerer: the mirror image.
/// </remarks>
public sealed class PeerConnection : IAsyncDisposable
{
    private const string VideoKind = "video";

    /// <summary>
    /// RTP payload bytes per packet: with the 12-byte header, an 8-byte mid extension and the 10-byte SRTP
    /// tag a packet stays within the 1200 bytes the ICE path guarantees (IceDatagramTransport).
    /// </summary>
    private const int MaxRtpPayload = 1150;

    /// <summary>SRTP datagrams kept from before the keys exist: a few keyframes' worth; more is a peer not waiting for us at all.</summary>
    private const int MaxEarlyDatagrams = 512;

    /// <summary>How long dispose waits for the SCTP SHUTDOWN handshake before it aborts: a gone peer must not hold us.</summary>
    private static readonly TimeSpan SctpShutdownTimeout = TimeSpan.FromSeconds(2);

    private readonly PeerConnectionOptions _options;
    private readonly DtlsCertificate _certificate;
    private readonly EncodedPacketPool _pool;
    private readonly Lock _gate = new();
    private readonly long _epoch = Stopwatch.GetTimestamp();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _gatheringComplete = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private readonly List<IceCandidate> _localCandidates = [];
    private readonly SdpMediaSender _sender = SdpMediaSender.CreateRandom();
    private IceAgent? _ice;
    private DtlsTransport? _dtls;
    private MediaSession? _media;
    private SessionDescription? _local;
    private RtcSdpType _localType;
    private SessionDescription? _remote;
    private RtcSdpType _remoteType;
    private Task? _gathering;
    private Task? _connecting;
    private PeerConnectionState _state = PeerConnectionState.New;
    private PeerConnectionFailedException? _failure;
    private long _datagramsBeforeKeys;
    private string _transportMid = "0";
    private int _transportIndex;
    private RtpReceiveStreamOptions? _receiveConfig;
    private RtpSendStreamOptions? _sendConfig;
    private bool _trackRaised;
    private readonly List<(IceCandidate? Candidate, string? Mid)> _pendingCandidates = [];
    private readonly Lock _early = new();
    private readonly List<byte[]> _earlyDatagrams = [];
    private bool _closed;
    private readonly DataChannelSet _channels = new();
    private SctpAssociation? _sctp;
    private SctpAssociationOptions? _sctpOptions;
    private bool _wantsDataChannels;

    /// <summary>Creates a connection; nothing is bound or sent until descriptions are set.</summary>
    public PeerConnection(PeerConnectionOptions? options = null)
    {
        _options = options ?? new PeerConnectionOptions();
        _options.Validate();
        _certificate = _options.Certificate ?? DtlsCertificate.Generate();
        _pool = _options.PacketPool ?? EncodedPacketPool.Shared;
        _channels.ChannelOpened += channel => DataChannel?.Invoke(channel);
    }

    /// <summary>A local candidate was gathered: signal it to the peer with its mid (trickle ICE).</summary>
    public event Action<RtcIceCandidate>? LocalCandidate;

    /// <summary>Gathering finished (W3C: the null candidate); signal end-of-candidates.</summary>
    public event Action? IceGatheringComplete;

    /// <summary>The connection state changed (W3C connectionstatechange).</summary>
    public event Action<PeerConnectionState>? ConnectionStateChanged;

    /// <summary>The remote description announced a video stream we receive (W3C track event).</summary>
    public event Action<RemoteVideoTrack>? Track;

    /// <summary>
    /// The peer opened a data channel (DCEP OPEN received); W3C <c>ondatachannel</c>. Raised on the receive
    /// thread before the next packet is read: a <see cref="RtcDataChannel.Message"/> handler attached here
    /// misses nothing (and messages that come before any handler is attached are kept for the first one).
    /// </summary>
    public event Action<RtcDataChannel>? DataChannel;

    /// <summary>
    /// The SCTP max-message-size for sending (the smaller of the peer's <c>a=max-message-size</c>, 64 KiB
    /// when absent, and ours); 0 until the remote description is set. W3C <c>pc.sctp.maxMessageSize</c>.
    /// </summary>
    public long SctpMaxMessageSize
    {
        get
        {
            lock (_gate)
            {
                return NegotiatedMaxMessageSize();
            }
        }
    }

    /// <summary>
    /// Creates a data channel (W3C <c>createDataChannel</c>). Before negotiation it makes the offer carry the
    /// application m-line; it opens once SCTP is up (DCEP OPEN, or directly when pre-negotiated).
    /// </summary>
    /// <exception cref="ArgumentException">The init is inconsistent (both reliability limits, negotiated without id, an id in use).</exception>
    public RtcDataChannel CreateDataChannel(string label, RtcDataChannelInit? init = null)
    {
        lock (_gate)
        {
            ThrowIfClosed();
            _wantsDataChannels = true;
        }

        return _channels.Create(label, init);
    }

    /// <summary>The current connection state.</summary>
    public PeerConnectionState ConnectionState
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Why the connection failed, once it has.</summary>
    public PeerConnectionFailedException? Failure
    {
        get
        {
            lock (_gate)
            {
                return _failure;
            }
        }
    }

    /// <summary>Our DTLS certificate; its fingerprint is in our descriptions.</summary>
    public DtlsCertificate Certificate => _certificate;

    /// <summary>The peer's video, once a description announced it.</summary>
    public RemoteVideoTrack? RemoteVideo { get; private set; }

    /// <summary>Our video, once we created an offer (the offerer sends; see <see cref="CreateOfferAsync"/>).</summary>
    public LocalVideoTrack? LocalVideo { get; private set; }

    /// <summary>The local description with every candidate gathered so far (and end-of-candidates once complete).</summary>
    public RtcSessionDescription? LocalDescription
    {
        get
        {
            lock (_gate)
            {
                if (_local is null)
                {
                    return null;
                }

                var copy = SessionDescription.Parse(_local.ToString());
                foreach (var media in copy.Media)
                {
                    if (media.Port == 0)
                    {
                        continue;
                    }

                    media.Candidates.Clear();
                    foreach (var candidate in _localCandidates)
                    {
                        media.Candidates.Add(candidate.ToString()["candidate:".Length..]);
                    }

                    media.EndOfCandidates = _gatheringComplete.Task.IsCompleted;
                }

                return new RtcSessionDescription(_localType, copy.ToString());
            }
        }
    }

    /// <summary>The remote description as set.</summary>
    public RtcSessionDescription? RemoteDescription
    {
        get
        {
            lock (_gate)
            {
                return _remote is null ? null : new RtcSessionDescription(_remoteType, _remote.ToString());
            }
        }
    }

    /// <summary>
    /// Creates an offer that sends video (H.264 Constrained Baseline unless <see cref="PeerConnectionOptions.VideoCodecs"/>
    /// says otherwise) with RTX, NACK/PLI/FIR and a data-channel m-line; <c>a=setup:actpass</c>. Creates <see cref="LocalVideo"/>.
    /// </summary>
    public Task<RtcSessionDescription> CreateOfferAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ThrowIfClosed();
            if (_remote is not null && _remoteType == RtcSdpType.Offer)
            {
                throw new InvalidOperationException("PeerConnection.CreateOfferAsync: a remote offer is set; create an answer instead");
            }

            var ice = EnsureIce(controlling: true);
            var offer = SdpNegotiator.CreateOffer(LocalOptions(ice));
            if (Sends(offer.Media[0].EffectiveDirection))
            {
                LocalVideo ??= new LocalVideoTrack(offer.Media[0].Mid ?? "0", _sender.Ssrc);
            }

            return Task.FromResult(new RtcSessionDescription(RtcSdpType.Offer, offer.ToString()));
        }
    }

    /// <summary>Creates the answer to the remote offer: the offered video codecs we decode, recvonly; audio per options; the data channel kept.</summary>
    public Task<RtcSessionDescription> CreateAnswerAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ThrowIfClosed();
            if (_remote is null || _remoteType != RtcSdpType.Offer)
            {
                throw new InvalidOperationException("PeerConnection.CreateAnswerAsync needs a remote offer: call SetRemoteDescriptionAsync first");
            }

            var answer = SdpNegotiator.CreateAnswer(_remote, LocalOptions(_ice!));
            return Task.FromResult(new RtcSessionDescription(RtcSdpType.Answer, answer.ToString()));
        }
    }

    /// <summary>Applies our offer or answer (possibly edited) and starts gathering; once both descriptions are set, ICE and DTLS start.</summary>
    /// <exception cref="SdpParseException">The SDP text is malformed.</exception>
    public Task SetLocalDescriptionAsync(RtcSessionDescription description, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(description);
        cancellationToken.ThrowIfCancellationRequested();
        var parsed = SessionDescription.Parse(description.Sdp);
        lock (_gate)
        {
            ThrowIfClosed();
            if (_local is not null)
            {
                throw new InvalidOperationException("PeerConnection.SetLocalDescriptionAsync: renegotiation is not supported; the local description is already set");
            }

            if (description.Type == RtcSdpType.Answer && (_remote is null || _remoteType != RtcSdpType.Offer))
            {
                throw new InvalidOperationException("PeerConnection.SetLocalDescriptionAsync: an answer needs a remote offer first");
            }

            var ice = EnsureIce(controlling: description.Type == RtcSdpType.Offer);
            _local = parsed;
            _localType = description.Type;
            if (description.Type == RtcSdpType.Answer)
            {
                ConfigureRemoteVideo(ours: parsed, theirs: _remote!, answer: parsed);
                ConfigureSendingAnswer(parsed);
            }

            _gathering = GatherAsync(ice);
            StartTransportIfReady();
        }

        RaiseTrackIfNew();
        return Task.CompletedTask;
    }

    /// <summary>Applies the peer's offer or answer: its ICE credentials, candidates, fingerprint and media.</summary>
    /// <exception cref="SdpParseException">The SDP text is malformed; the exception names the line.</exception>
    public Task SetRemoteDescriptionAsync(RtcSessionDescription description, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(description);
        cancellationToken.ThrowIfCancellationRequested();
        var parsed = SessionDescription.Parse(description.Sdp);
        lock (_gate)
        {
            ThrowIfClosed();
            if (_remote is not null)
            {
                throw new InvalidOperationException("PeerConnection.SetRemoteDescriptionAsync: renegotiation is not supported; the remote description is already set");
            }

            if (description.Type == RtcSdpType.Answer && (_local is null || _localType != RtcSdpType.Offer))
            {
                throw new InvalidOperationException("PeerConnection.SetRemoteDescriptionAsync: an answer needs our offer set first (SetLocalDescriptionAsync)");
            }

            var transport = TransportMedia(parsed)
                ?? throw new ArgumentException("PeerConnection.SetRemoteDescriptionAsync: the description has no accepted m-line to connect", nameof(description));
            if (parsed.IceUfragOf(transport) is null || parsed.IcePwdOf(transport) is null)
            {
                throw new ArgumentException($"PeerConnection.SetRemoteDescriptionAsync: m-line '{transport.Mid}' has no a=ice-ufrag/a=ice-pwd", nameof(description));
            }

            EnsureIce(controlling: description.Type == RtcSdpType.Answer);
            _remote = parsed;
            _remoteType = description.Type;
            _channels.MaxMessageSize = NegotiatedMaxMessageSize();
            if (description.Type == RtcSdpType.Answer)
            {
                ConfigureLocalVideoFromAnswer(parsed, parsed);
                ConfigureRemoteVideo(ours: _local!, theirs: parsed, answer: parsed);
            }

            StartTransportIfReady();
        }

        RaiseTrackIfNew();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Adds a trickled remote candidate (<c>candidate:…</c>, with or without <c>a=</c>) for the m-line
    /// <paramref name="sdpMid"/>; an empty candidate means end-of-candidates. Candidates of m-lines bundled
    /// onto another transport are ignored, as RFC 9143 §7.5 allows.
    /// </summary>
    /// <exception cref="IceCandidateFormatException">The candidate does not parse; it names the field.</exception>
    public void AddRemoteIceCandidate(string candidate, string? sdpMid)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        IceAgent ice;
        lock (_gate)
        {
            ThrowIfClosed();
            if (_remote is null || _ice is null)
            {
                throw new InvalidOperationException("PeerConnection.AddRemoteIceCandidate needs the remote description first");
            }

            if (sdpMid is not null && _remote.FindMedia(sdpMid) is null)
            {
                throw new ArgumentException($"PeerConnection.AddRemoteIceCandidate: no m-line has mid '{sdpMid}'", nameof(sdpMid));
            }

            var parsed = candidate.Trim().Length == 0 ? null : IceCandidate.Parse(candidate);
            if (_connecting is null)
            {
                // Which m-line carries the transport is known once the answer is (RFC 9143 §7.3.1).
                _pendingCandidates.Add((parsed, sdpMid));
                return;
            }

            if (sdpMid is not null && !string.Equals(sdpMid, _transportMid, StringComparison.Ordinal))
            {
                return;
            }

            ice = _ice;
            AddRemote(ice, parsed);
        }
    }

    private static void AddRemote(IceAgent ice, IceCandidate? candidate)
    {
        if (candidate is null)
        {
            ice.AddRemoteEndOfCandidates();
        }
        else
        {
            ice.AddRemoteCandidate(candidate);
        }
    }

    /// <summary>Completes when gathering is over (then <see cref="LocalDescription"/> lists every candidate).</summary>
    public Task WhenGatheringCompleteAsync(CancellationToken cancellationToken = default) => _gatheringComplete.Task.WaitAsync(cancellationToken);

    /// <summary>Completes when the state is Connected; throws <see cref="PeerConnectionFailedException"/> if the connection fails first.</summary>
    public Task WhenConnectedAsync(CancellationToken cancellationToken = default) => _connected.Task.WaitAsync(cancellationToken);

    /// <summary>The ICE pair carrying the connection (W3C getSelectedCandidatePair), or null before one is selected.</summary>
    public IceSelectedPair? SelectedCandidatePair => CurrentIce()?.SelectedPair;

    /// <summary>Why each TURN allocation that failed did so, naming the server (see <see cref="IceAgentOptions.TurnServers"/>).</summary>
    public IReadOnlyList<string> TurnFailures => CurrentIce()?.TurnFailures ?? [];

    /// <summary>The agent, read under our lock and used outside it, so our lock is never held while the agent's is taken.</summary>
    private IceAgent? CurrentIce()
    {
        lock (_gate)
        {
            return _ice;
        }
    }

    /// <summary>A snapshot of the counters.</summary>
    public PeerConnectionStats GetStats()
    {
        MediaSession? media;
        IceAgent? ice;
        PeerConnectionState state;
        long early;
        lock (_gate)
        {
            media = _media;
            ice = _ice;
            state = _state;
            early = Volatile.Read(ref _datagramsBeforeKeys);
        }

        InboundVideoStats? inbound = null;
        if (RemoteVideo is { } remote && media?.ReceiveStats is { } received)
        {
            var (r, drops) = received;
            var b = r.Buffer;
            inbound = new InboundVideoStats(
                remote.Ssrc, remote.Codec, b.Packets, b.Bytes, r.CumulativeLost, b.Duplicates, b.Late, b.Retransmitted, b.Recovered,
                r.NackPacketsSent, b.NackedPackets, r.PictureLossIndicationsSent,
                TimeSpan.FromTicks(r.Jitter * TimeSpan.TicksPerSecond / _options.JitterBuffer.ClockRate),
                b.FramesEmitted - drops, b.FramesDropped, b.FramesDiscarded, drops, r.Malformed, r.Foreign);
        }

        OutboundVideoStats? outbound = null;
        if (LocalVideo is { Codec: { } codec } local)
        {
            var sent = media?.SendStats;
            var s = sent?.Stats ?? default;
            outbound = new OutboundVideoStats(
                local.Ssrc, codec, sent?.FramesSent ?? 0, local.NotSent, s.PacketsSent, s.PayloadBytesSent, s.Retransmissions,
                s.NacksReceived, s.PictureLossIndicationsReceived, s.FullIntraRequestsReceived, s.RoundTripTime);
        }

        return new PeerConnectionStats(state, inbound, outbound, media?.InboundSrtp ?? default, media?.OutboundSrtp ?? default, ice?.Stats ?? default, early);
    }

    /// <summary>Closes media, DTLS (close_notify) and ICE; the state becomes Closed; unread frames are released.</summary>
    public async ValueTask DisposeAsync()
    {
        MediaSession? media;
        DtlsTransport? dtls;
        IceAgent? ice;
        Task? connecting;
        SctpAssociation? sctp;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            media = _media;
            dtls = _dtls;
            ice = _ice;
            connecting = _connecting;
            sctp = _sctp;
            _media = null;
        }

        // Ours close first (a closed connection is no error), then SHUTDOWN while DTLS still carries it: the
        // peer's channels close cleanly, not by timeout.
        _channels.End(null);
        if (sctp is not null)
        {
            await ShutdownSctpAsync(sctp).ConfigureAwait(false);
        }
        await _closing.CancelAsync().ConfigureAwait(false);
        if (connecting is not null)
        {
            try
            {
                await connecting.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (media is not null)
        {
            await media.DisposeAsync().ConfigureAwait(false);
        }

        RemoteVideo?.Close();
        if (dtls is not null)
        {
            await dtls.DisposeAsync().ConfigureAwait(false);
        }

        if (ice is not null)
        {
            await ice.DisposeAsync().ConfigureAwait(false);
        }

        if (_gathering is not null)
        {
            try
            {
                await _gathering.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        SetState(PeerConnectionState.Closed);
        _connected.TrySetException(new PeerConnectionFailedException(PeerConnectionFailureStage.Ice, "the connection was closed before it connected"));
        _ = _connected.Task.Exception; // observed: nobody may be waiting
        _gatheringComplete.TrySetCanceled();
        _closing.Dispose();
    }

    // ---------------------------------------------------------------- part 2 hook

    /// <summary>
    /// Data channels (part 2) plug in here: the connected DTLS transport carries SCTP (its
    /// <see cref="DtlsTransport.DataReceived"/> and <see cref="DtlsTransport.Send"/>), and the peer's SCTP port
    /// and max-message-size are on the remote application m-line. Null until DTLS is connected.
    /// </summary>
    internal DtlsTransport? ConnectedDtls
    {
        get
        {
            lock (_gate)
            {
                return _media is not null ? _dtls : null;
            }
        }
    }

    /// <summary>The SCTP association once DTLS is connected and both sides accepted data channels (tests and diagnostics).</summary>
    internal SctpAssociation? Sctp => Volatile.Read(ref _sctp);

    /// <summary>The data channels' DCEP counters (tests and diagnostics).</summary>
    internal DataChannelSet DataChannels => _channels;

    /// <summary>The remote application m-line (SCTP port, max-message-size) when both sides accepted one.</summary>
    internal MediaDescription? RemoteDataChannelMedia
    {
        get
        {
            lock (_gate)
            {
                return _remote?.Media.Find(m => m.IsDataChannel && m.Port != 0);
            }
        }
    }

    // ---------------------------------------------------------------- data channels (SCTP over DTLS, RFC 8261)

    /// <summary>
    /// RFC 8841 §6: the peer's a=max-message-size (64 KiB when absent, 0 meaning "any") capped by ours; 0
    /// before the remote description or when no application m-line was accepted. Under <see cref="_gate"/>.
    /// </summary>
    private long NegotiatedMaxMessageSize()
    {
        if (_remote?.Media.Find(m => m.IsDataChannel && m.Port != 0) is not { } remote)
        {
            return 0;
        }

        var ours = (long)SdpLocalOptions.DefaultMaxMessageSize;
        var theirs = remote.MaxMessageSize is { } size ? (size == 0 || size > long.MaxValue ? long.MaxValue : (long)size) : (long)MediaDescription.DefaultMaxMessageSize;
        return Math.Min(ours, theirs);
    }

    /// <summary>
    /// With an application m-line accepted on both sides: the association's settings, and DTLS application
    /// data routed to it from now on (the peer's INIT may come with the end of the handshake). Under <see cref="_gate"/>.
    /// </summary>
    private SctpAssociationOptions? AssociationOptions(DtlsTransport dtls)
    {
        var local = _local!.Media.Find(m => m.IsDataChannel && m.Port != 0);
        var remote = _remote!.Media.Find(m => m.IsDataChannel && m.Port != 0);
        if (local is null || remote is null)
        {
            // Channels made before negotiation can never open: say so instead of leaving them connecting.
            _channels.End(new InvalidOperationException("data channel: the negotiated session has no application m-line (not offered, or rejected by the answer)"));
            return null;
        }

        dtls.DataReceived += OnSctpPacket;
        return new SctpAssociationOptions
        {
            LocalPort = (ushort)(local.SctpPort ?? MediaDescription.DefaultSctpPort),
            RemotePort = (ushort)remote.EffectiveSctpPort,
            MaxMessageSize = (int)Math.Min(local.MaxMessageSize ?? SdpLocalOptions.DefaultMaxMessageSize, int.MaxValue),
        };
    }

    private void OnSctpPacket(ReadOnlySpan<byte> packet) => EnsureAssociation()?.ReceivePacket(packet);

    /// <summary>
    /// The association, made on first use once DTLS is connected: only then is the record limit known, and an
    /// SCTP packet must fit one DTLS record (RFC 8261 §5: no IP fragmentation; 1163 bytes with AES-GCM on a
    /// 1200-byte path, less with CBC suites).
    /// </summary>
    private SctpAssociation? EnsureAssociation()
    {
        var sctp = Volatile.Read(ref _sctp);
        if (sctp is not null)
        {
            return sctp;
        }

        lock (_gate)
        {
            if (_sctp is not null || _closed || _sctpOptions is not { } options || _dtls is not { State: DtlsState.Connected } dtls)
            {
                return _sctp;
            }

            var limit = dtls.MaxMessageSize;
            sctp = new SctpAssociation(options with { MaxPacketSize = Math.Min(options.MaxPacketSize, limit) }, packet => SendSctp(dtls, packet));
            sctp.MessageReceived += _channels.OnMessage;
            sctp.StreamReset += _channels.OnStreamReset;
            sctp.BufferedAmountDecreased += _channels.OnBufferedAmountDecreased;
            sctp.StateChanged += state => OnSctpState(sctp, dtls, state);
            Volatile.Write(ref _sctp, sctp);
            return sctp;
        }
    }

    private static void SendSctp(DtlsTransport dtls, ReadOnlySpan<byte> packet)
    {
        try
        {
            dtls.Send(packet);
        }
        catch (InvalidOperationException)
        {
            // DTLS closed or failed: the association's timers give up and the connection state says why.
        }
        catch (ArgumentException)
        {
            // Larger than a record: cannot happen with MaxPacketSize from the record limit; never crash a timer thread.
        }
    }

    private void OnSctpState(SctpAssociation sctp, DtlsTransport dtls, SctpAssociationState state)
    {
        switch (state)
        {
            case SctpAssociationState.Established:
                // RFC 8832 §6: the DTLS client takes even stream ids, the server odd ones.
                _channels.Start(new SctpChannelTransport(sctp), dtls.Role == DtlsRole.Client);
                break;
            case SctpAssociationState.Aborted:
                _channels.End(new InvalidOperationException("data channel: the SCTP association was aborted"));
                break;
            case SctpAssociationState.Closed when _channels.IsStarted:
                _channels.End(null);
                break;
        }
    }

    private async Task ConnectSctpAsync(DtlsTransport dtls, CancellationToken token)
    {
        var sctp = EnsureAssociation();
        if (sctp is null)
        {
            return;
        }

        try
        {
            // Both sides may send INIT; RFC 9260 §5.2 settles a collision.
            await sctp.ConnectAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
#pragma warning disable CA1031 // any association failure is reported on the channels, never thrown out of the connect task
        catch (Exception failure)
#pragma warning restore CA1031
        {
            _channels.End(new InvalidOperationException($"data channel: the SCTP association did not come up over DTLS ({dtls.Role})", failure));
        }
    }

    private static async Task ShutdownSctpAsync(SctpAssociation sctp)
    {
        try
        {
            if (sctp.State == SctpAssociationState.Established)
            {
                using var timeout = new CancellationTokenSource(SctpShutdownTimeout);
                await sctp.ShutdownAsync(timeout.Token).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // closing is best effort: a gone peer or a timeout ends in ABORT below
        catch (Exception)
#pragma warning restore CA1031
        {
            sctp.Abort("closing");
        }

        await sctp.DisposeAsync().ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- negotiation

    private SdpLocalOptions LocalOptions(IceAgent ice) => new()
    {
        IceUfrag = ice.LocalUfrag,
        IcePwd = ice.LocalPassword,
        Fingerprints = [ToSdp(_certificate.Fingerprint)],
        VideoCodecs = _options.VideoCodecs,
        ActPassAnswer = _options.PreferredDtlsRole == DtlsRole.Client ? SdpSetupRole.Active : SdpSetupRole.Passive,
        UnsupportedMedia = _options.UnsupportedMedia,
        DataChannels = _options.DataChannels || _wantsDataChannels,
        Sender = _sender,
        VideoDirection = _options.VideoDirection,
    };

    private static SdpFingerprint ToSdp(DtlsFingerprint fingerprint)
    {
        var text = fingerprint.ToString();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        return new SdpFingerprint(text[..space], text[(space + 1)..]);
    }

    /// <summary>The m-line whose transport carries the session: BUNDLE's tagged one (RFC 9143 §7.2.1), else the first live one.</summary>
    private static MediaDescription? TransportMedia(SessionDescription session)
    {
        var bundle = session.BundleMids;
        if (bundle.Count > 0 && session.FindMedia(bundle[0]) is { Port: not 0 } tagged)
        {
            return tagged;
        }

        return session.Media.Find(m => m.Port != 0);
    }

    private IceAgent EnsureIce(bool controlling)
    {
        if (_ice is null)
        {
            _ice = new IceAgent(_options.Ice with { Controlling = controlling });
            _ice.LocalCandidate += OnLocalCandidate;
            _ice.GatheringComplete += OnGatheringComplete;
            _ice.StateChanged += _ => UpdateState();
            _ice.Transport.Received += OnDatagram;
        }

        return _ice;
    }

    /// <summary>Our answer picked the codecs: the first one is what the offerer sends (JSEP §5.3.1 order).</summary>
    /// <summary>
    /// The video we receive: an m-line where we receive and the peer sends. Codecs come from the answer (what
    /// was agreed, in the offerer's payload types), the SSRCs from the peer's description. Either role: the
    /// answerer receiving an offerer's video (Odyssey), or the offerer receiving the answerer's (WHEP).
    /// </summary>
    private void ConfigureRemoteVideo(SessionDescription ours, SessionDescription theirs, SessionDescription answer)
    {
        if (_receiveConfig is not null)
        {
            return;
        }

        for (var i = 0; i < answer.Media.Count && i < ours.Media.Count && i < theirs.Media.Count; i++)
        {
            var local = ours.Media[i];
            var remote = theirs.Media[i];
            var agreed = answer.Media[i];
            if (local.Kind != VideoKind || agreed.Port == 0 || !Receives(local.EffectiveDirection) || !Sends(remote.EffectiveDirection))
            {
                continue;
            }

            if (FirstMediaCodec(agreed) is not { } codec || MediaSsrcs(remote) is not { } ssrcs)
            {
                continue;
            }

            _receiveConfig = new RtpReceiveStreamOptions
            {
                MediaSsrc = ssrcs.Media,
                PayloadType = (byte)codec.Codec.PayloadType,
                RtxSsrc = ssrcs.Rtx,
                RtxPayloadType = ssrcs.Rtx is not null && agreed.FindRtxPayloadType(codec.Codec.PayloadType) is { } rtx ? (byte)rtx : null,
                LocalSsrc = _sender.Ssrc,
                Cname = _sender.CName,
                JitterBuffer = _options.JitterBuffer with { Codec = codec.Video },
            };
            RemoteVideo = new RemoteVideoTrack(local.Mid ?? i.ToString(CultureInfo.InvariantCulture), codec.Video, ssrcs.Media, _options.ReceiveQueueCapacity);
            return; // one remote video stream
        }
    }

    /// <summary>An answer of ours that sends video (a WHEP server): the track exists from here, configured like an offerer's.</summary>
    private void ConfigureSendingAnswer(SessionDescription answer)
    {
        var media = answer.Media.Find(m => m.Kind == VideoKind && m.Port != 0 && Sends(m.EffectiveDirection));
        if (media is null || LocalVideo is not null)
        {
            return;
        }

        LocalVideo = new LocalVideoTrack(media.Mid ?? "0", _sender.Ssrc);
        ConfigureLocalVideoFromAnswer(_remote!, answer);
    }

    /// <summary>
    /// Our sending stream: the peer's m-line of our track must receive; payload types, RTX and the mid
    /// extension id come from the answer (the peer's when we offered, ours when we answered).
    /// </summary>
    private void ConfigureLocalVideoFromAnswer(SessionDescription peer, SessionDescription answer)
    {
        if (LocalVideo is null)
        {
            return;
        }

        var remote = peer.FindMedia(LocalVideo.Mid);
        var media = answer.FindMedia(LocalVideo.Mid);
        if (remote is null || media is null || remote.Port == 0 || media.Port == 0 || !Receives(remote.EffectiveDirection) || FirstMediaCodec(media) is not { } codec)
        {
            return; // the peer refused our video: the track never sends
        }

        var rtx = media.FindRtxPayloadType(codec.Codec.PayloadType);
        var midId = media.FindExtmapId(SdpHeaderExtensions.Mid);
        LocalVideo.Codec = codec.Video;
        _sendConfig = new RtpSendStreamOptions
        {
            Ssrc = _sender.Ssrc,
            PayloadType = (byte)codec.Codec.PayloadType,
            Codec = codec.Video,
            RtxSsrc = rtx is not null ? _sender.RtxSsrc : null,
            RtxPayloadType = rtx is not null && _sender.RtxSsrc is not null ? (byte)rtx : null,
            MidExtensionId = midId,
            Mid = midId is not null ? media.Mid : null,
            Cname = _sender.CName,
            PacingBitsPerSecond = _options.PacingBitsPerSecond,
            MaxPayloadSize = MaxRtpPayload,
        };
    }

    private static bool Receives(SdpDirection direction) => direction is SdpDirection.RecvOnly or SdpDirection.SendRecv;

    private static bool Sends(SdpDirection direction) => direction is SdpDirection.SendOnly or SdpDirection.SendRecv;

    private static (SdpCodec Codec, VideoCodec Video)? FirstMediaCodec(MediaDescription media)
    {
        foreach (var codec in media.Codecs)
        {
            VideoCodec? video = codec.Name?.ToUpperInvariant() switch
            {
                "VP8" => VideoCodec.Vp8,
                "H264" => VideoCodec.H264,
                _ => null, // rtx, red, fec, and codecs our depacketizers do not speak
            };
            if (video is { } v)
            {
                return (codec, v);
            }
        }

        return null;
    }

    /// <summary>The media SSRC and its RTX SSRC: <c>a=ssrc-group:FID media rtx</c> (RFC 4588 §8.1), else the first <c>a=ssrc</c>.</summary>
    private static (uint Media, uint? Rtx)? MediaSsrcs(MediaDescription media)
    {
        foreach (var group in media.SsrcGroups)
        {
            if (group.Semantics == "FID" && group.Ssrcs.Count >= 2)
            {
                return (group.Ssrcs[0], group.Ssrcs[1]);
            }
        }

        return media.Ssrcs.Count > 0 ? (media.Ssrcs[0].Ssrc, null) : null;
    }

    private void RaiseTrackIfNew()
    {
        RemoteVideoTrack? track;
        lock (_gate)
        {
            track = !_trackRaised ? RemoteVideo : null;
            _trackRaised |= track is not null;
        }

        if (track is not null)
        {
            Track?.Invoke(track);
        }
    }

    // ---------------------------------------------------------------- transport

    private async Task GatherAsync(IceAgent ice)
    {
        try
        {
            await ice.GatherAsync(_closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void OnLocalCandidate(IceCandidate candidate)
    {
        string mid;
        int index;
        lock (_gate)
        {
            _localCandidates.Add(candidate);
            mid = _transportMid;
            index = _transportIndex;
        }

        LocalCandidate?.Invoke(new RtcIceCandidate(candidate.ToString(), mid, index));
    }

    private void OnGatheringComplete()
    {
        _gatheringComplete.TrySetResult();
        IceGatheringComplete?.Invoke();
    }

    /// <summary>With both descriptions set: start ICE checks, prepare DTLS in the role a=setup gives, and connect.</summary>
    private void StartTransportIfReady()
    {
        if (_local is null || _remote is null || _connecting is not null)
        {
            return;
        }

        // RFC 9143 §7.3.1: the answer's BUNDLE group names the m-line whose transport everything shares
        // (the offerer's first mid may have been rejected, e.g. audio); without BUNDLE, the first live one.
        var answer = _localType == RtcSdpType.Answer ? _local : _remote;
        var tagged = TransportMedia(answer);
        var remoteMedia = tagged?.Mid is { } mid ? _remote.FindMedia(mid) : null;
        var localMedia = tagged?.Mid is { } localMid ? _local.FindMedia(localMid) : null;
        var ice = _ice!;
        if (remoteMedia is null || localMedia is null || _remote.IceUfragOf(remoteMedia) is not { } ufrag || _remote.IcePwdOf(remoteMedia) is not { } pwd)
        {
            _connecting = Task.CompletedTask;
            Fail(new PeerConnectionFailedException(PeerConnectionFailureStage.Ice, "the answer accepts no m-line with ICE credentials on both sides, so there is nothing to connect"));
            return;
        }

        _transportMid = remoteMedia.Mid ?? "0";
        _transportIndex = _remote.Media.IndexOf(remoteMedia);
        foreach (var text in remoteMedia.Candidates)
        {
            if (IceCandidate.TryParse(text, out var candidate))
            {
                ice.AddRemoteCandidate(candidate);
            }
        }

        if (remoteMedia.EndOfCandidates)
        {
            ice.AddRemoteEndOfCandidates();
        }

        foreach (var (candidate, candidateMid) in _pendingCandidates)
        {
            if (candidateMid is null || candidateMid == _transportMid)
            {
                AddRemote(ice, candidate);
            }
        }

        _pendingCandidates.Clear();
        ice.Start(ufrag, pwd);

        var fingerprints = new List<DtlsFingerprint>();
        foreach (var fingerprint in _remote.FingerprintsOf(remoteMedia))
        {
            if (DtlsFingerprint.TryParse($"{fingerprint.Algorithm} {fingerprint.Value}", out var parsed))
            {
                fingerprints.Add(parsed);
            }
        }

        var role = DtlsRoleOf(_local.SetupOf(localMedia), _remote.SetupOf(remoteMedia));
        if (fingerprints.Count == 0)
        {
            _connecting = Task.CompletedTask;
            Fail(new PeerConnectionFailedException(PeerConnectionFailureStage.Dtls, $"the remote description's m-line '{remoteMedia.Mid}' has no usable a=fingerprint, so the peer cannot be authenticated"));
            return;
        }

        // Created now, before ICE connects: the peer's ClientHello may arrive with the first datagrams.
        _dtls = new DtlsTransport(ice.Transport, _certificate, role, fingerprints, _options.Dtls);
        _dtls.StateChanged += _ => UpdateState();
        _sctpOptions = AssociationOptions(_dtls);
        _connecting = ConnectAsync(ice, _dtls);
    }

    /// <summary>RFC 5763 §5: active is the DTLS client. Our actpass (we offered) takes the opposite of the answer's choice.</summary>
    private static DtlsRole DtlsRoleOf(SdpSetupRole? local, SdpSetupRole? remote) => local switch
    {
        SdpSetupRole.Active => DtlsRole.Client,
        SdpSetupRole.Passive => DtlsRole.Server,
        // Our actpass: the answer chose; RFC 4145 §4.1 reads a missing a=setup as active, which makes us the server.
        _ => remote == SdpSetupRole.Passive ? DtlsRole.Client : DtlsRole.Server,
    };

    private async Task ConnectAsync(IceAgent ice, DtlsTransport dtls)
    {
        var token = _closing.Token;
        try
        {
            await ice.ConnectAsync(token).ConfigureAwait(false);
        }
        catch (IceFailedException failure)
        {
            Fail(new PeerConnectionFailedException(PeerConnectionFailureStage.Ice, $"ICE failed: {failure.Reason}", failure));
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        UpdateState();
        try
        {
            await dtls.StartAsync(token).ConfigureAwait(false);
        }
        catch (DtlsHandshakeException failure)
        {
            Fail(new PeerConnectionFailedException(PeerConnectionFailureStage.Dtls, failure.Message, failure));
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (dtls.LocalSrtpKey is not { } localKey || dtls.RemoteSrtpKey is not { } remoteKey)
        {
            Fail(new PeerConnectionFailedException(PeerConnectionFailureStage.Media, "DTLS connected without use_srtp: the peer agreed no SRTP profile, so no media can flow"));
            return;
        }

        MediaSession media;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            media = new MediaSession(ice.Transport, localKey, remoteKey, _receiveConfig, RemoteVideo, _sendConfig, LocalVideo, _pool, _options.RtcpInterval, _epoch)
            {
                SendLossRate = _options.SendLossRate,
            };
            lock (_early)
            {
                foreach (var early in _earlyDatagrams)
                {
                    media.OnDatagram(early, DatagramDemux.Classify(early));
                }

                _earlyDatagrams.Clear();
                _media = media;
            }
        }

        media.Start();
        UpdateState();
        await ConnectSctpAsync(dtls, token).ConfigureAwait(false);
    }

    /// <summary>The selected pair's datagrams: RTP and RTCP go to SRTP (DTLS takes its own, STUN stays in the agent).</summary>
    private void OnDatagram(ReadOnlySpan<byte> datagram)
    {
        var kind = DatagramDemux.Classify(datagram);
        if (kind is not (DatagramKind.Rtp or DatagramKind.Rtcp))
        {
            return;
        }

        var media = Volatile.Read(ref _media);
        if (media is null)
        {
            lock (_early)
            {
                media = _media;
                if (media is null)
                {
                    // The side that finishes the DTLS handshake first sends media at once, often the first
                    // keyframe: keep it for the moment the keys exist (cold path, before keys only).
                    _datagramsBeforeKeys++;
                    if (_earlyDatagrams.Count < MaxEarlyDatagrams)
                    {
                        _earlyDatagrams.Add(datagram.ToArray());
                    }

                    return;
                }
            }
        }

        media.OnDatagram(datagram, kind);
    }

    // ---------------------------------------------------------------- state

    private void Fail(PeerConnectionFailedException failure)
    {
        lock (_gate)
        {
            _failure ??= failure;
        }

        UpdateState();
    }

    private void UpdateState()
    {
        PeerConnectionState next;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            var ice = _ice?.State ?? IceConnectionState.New;
            var dtls = _dtls?.State ?? DtlsState.New;
            next = (_failure, ice, dtls) switch
            {
                (not null, _, _) => PeerConnectionState.Failed,
                // A handshake failure is reported by ConnectAsync with its typed reason; wait for it.
                (_, _, DtlsState.Failed) when _media is null => PeerConnectionState.Connecting,
                (_, IceConnectionState.Failed, _) or (_, _, DtlsState.Failed) => PeerConnectionState.Failed,
                (_, IceConnectionState.Disconnected, _) => PeerConnectionState.Disconnected,
                _ when _media is not null && dtls == DtlsState.Connected => PeerConnectionState.Connected,
                // The peer's close_notify ends media until it negotiates again; there is no W3C state for it.
                _ when _media is not null && dtls == DtlsState.Closed => PeerConnectionState.Disconnected,
                (_, IceConnectionState.New, DtlsState.New) => PeerConnectionState.New,
                _ => PeerConnectionState.Connecting,
            };
            if (next == PeerConnectionState.Failed && _failure is null)
            {
                _failure = ice == IceConnectionState.Failed
                    ? new PeerConnectionFailedException(PeerConnectionFailureStage.Ice, "ICE failed: no working candidate pair, or consent expired (RFC 7675)")
                    : new PeerConnectionFailedException(PeerConnectionFailureStage.Dtls, "the DTLS association failed");
            }
        }

        SetState(next);
    }

    private void SetState(PeerConnectionState next)
    {
        PeerConnectionFailedException? failure;
        lock (_gate)
        {
            if (_state == next || _state is PeerConnectionState.Closed || (_state == PeerConnectionState.Failed && next != PeerConnectionState.Closed))
            {
                return;
            }

            _state = next;
            failure = _failure;
        }

        if (next == PeerConnectionState.Connected)
        {
            _connected.TrySetResult();
        }
        else if (next == PeerConnectionState.Failed)
        {
            _connected.TrySetException(failure!);
            _ = _connected.Task.Exception;
            _sctp?.Abort("the peer connection failed");
            _channels.End(failure);
        }

        ConnectionStateChanged?.Invoke(next);
    }

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_closed, this);
}
