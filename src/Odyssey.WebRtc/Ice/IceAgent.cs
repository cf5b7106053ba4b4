using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Channels;

namespace Odyssey.WebRtc.Ice;

/// <summary>The pair carrying data once connected.</summary>
public sealed record IceSelectedPair(IceCandidate Local, IceCandidate Remote);

/// <summary>Counters of an agent's traffic; a snapshot.</summary>
public readonly record struct IceStats(
    long ChecksSent,
    long ChecksReceived,
    long ConsentChecksSent,
    long StunRejected,
    long DatagramsDropped,
    long RemoteCandidatesIgnored);

/// <summary>
/// A full ICE agent (RFC 8445) for one data stream with one component (WebRTC with BUNDLE and rtcp-mux):
/// gathers host and server-reflexive UDP candidates, checks pairs in either role, nominates, keeps consent
/// (RFC 7675) and exposes the selected pair as an <see cref="IDatagramTransport"/>. STUN stays inside; DTLS,
/// RTP and RTCP datagrams (RFC 7983) come out through <see cref="Transport"/>.
/// </summary>
/// <remarks>
/// Use: <see cref="GatherAsync"/> (candidates arrive through <see cref="LocalCandidate"/> as they are found),
/// signal <see cref="LocalUfrag"/>/<see cref="LocalPassword"/> and the candidates, then <see cref="Start"/>
/// with the peer's credentials; remote candidates may be added before or after, at any time.
/// Events are raised in order on one background task, never while the agent holds its lock, so a handler
/// may call back into this or another agent. Only <see cref="IDatagramTransport.Received"/> runs on the
/// socket's receive path.
/// </remarks>
public sealed class IceAgent : IAsyncDisposable
{
    /// <summary>RFC 8445 §5.3: a ufrag has at least 4 ice-chars and a password at least 22; ours are longer, for entropy.</summary>
    private const int UfragLength = 8;

    private const int PasswordLength = 24;

    /// <summary>RFC 8445 §6.1.2.5: an agent should limit its check list; 100 is the recommended bound.</summary>
    private const int MaxPairs = 100;

    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>The ICE component of RTP; with rtcp-mux and BUNDLE it is the only one (RFC 8843).</summary>
    private const int Component = 1;

    /// <summary>A STUN request or response ICE builds fits easily; USERNAME is the only variable part.</summary>
    private const int StunBufferSize = 1024;

    private static readonly ushort[] KnownRequired =
        [Stun.MappedAddress, Stun.Username, Stun.MessageIntegrity, Stun.ErrorCode, Stun.UnknownAttributes, Stun.XorMappedAddress, Stun.Priority, Stun.UseCandidate];

    private readonly IceAgentOptions _options;
    private readonly Lock _gate = new();
    private readonly List<LocalSocket> _sockets = [];
    private readonly List<IceCandidate> _localCandidates = [];
    private readonly List<IceCandidate> _remoteCandidates = [];
    private readonly List<CandidatePair> _pairs = [];
    private readonly Queue<CandidatePair> _triggered = new();
    private readonly Dictionary<TransactionKey, StunTransaction> _transactions = [];
    private readonly List<StunTransaction> _expired = [];
    private readonly List<(LocalSocket Local, IPEndPoint Source, uint Priority, bool UseCandidate)> _earlyChecks = [];
    private readonly Channel<AgentEvent> _events = Channel.CreateUnbounded<AgentEvent>(new() { SingleReader = true });
    private readonly TaskCompletionSource _gathered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly IceDatagramTransport _transport;
    private readonly byte[] _localPasswordKey;
    private readonly Task _eventLoop;
    private readonly ulong _tieBreaker;

    private volatile CandidatePair[] _pairSnapshot = [];
    private volatile CandidatePair? _selected;
    private volatile CandidatePair? _provisional;
    private volatile IceConnectionState _state = IceConnectionState.New;
    private Task? _timerLoop;
    private bool _gatheringStarted;
    private bool _gatheringComplete;
    private bool _remoteEndOfCandidates;
    private string? _remoteUfrag;
    private byte[]? _remotePasswordKey;
    private string? _username;
    private long _checkingSinceMs;
    private long _lastConsentMs;
    private long _nextConsentMs;
    private CandidatePair? _nominating;
    private int _foundations;
    private long _checksSent;
    private long _checksReceived;
    private long _consentSent;
    private long _stunRejected;
    private long _dropped;
    private long _remoteIgnored;

    /// <summary>Creates an agent with fresh credentials and tie-breaker; nothing is bound until <see cref="GatherAsync"/>.</summary>
    public IceAgent(IceAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        IsControlling = options.Controlling;
        LocalUfrag = RandomNumberGenerator.GetString(IceChars, UfragLength);
        LocalPassword = RandomNumberGenerator.GetString(IceChars, PasswordLength);
        _localPasswordKey = System.Text.Encoding.UTF8.GetBytes(LocalPassword);
        Span<byte> tieBreaker = stackalloc byte[sizeof(ulong)];
        RandomNumberGenerator.Fill(tieBreaker);
        _tieBreaker = BitConverter.ToUInt64(tieBreaker);
        _transport = new IceDatagramTransport(this);
        _eventLoop = Task.Run(DispatchEventsAsync);
    }

    /// <summary>A local candidate was gathered; signal it to the peer (trickle).</summary>
    public event Action<IceCandidate>? LocalCandidate;

    /// <summary>Gathering finished; signal end-of-candidates to the peer.</summary>
    public event Action? GatheringComplete;

    /// <summary>The connection state changed.</summary>
    public event Action<IceConnectionState>? StateChanged;

    /// <summary>Our ice-ufrag.</summary>
    public string LocalUfrag { get; }

    /// <summary>Our ice-pwd.</summary>
    public string LocalPassword { get; }

    /// <summary>Current role; it changes when a role conflict is repaired (RFC 8445 §7.3.1.1).</summary>
    public bool IsControlling { get; private set; }

    /// <summary>Current state.</summary>
    public IceConnectionState State => _state;

    /// <summary>The selected pair, or null before one is selected.</summary>
    public IceSelectedPair? SelectedPair => _selected is { } pair ? new IceSelectedPair(pair.Local.Host, pair.Remote) : null;

    /// <summary>The selected pair as a datagram path for DTLS; sends before selection and after failure are dropped and counted.</summary>
    public IDatagramTransport Transport => _transport;

    /// <summary>Local candidates gathered so far.</summary>
    public IReadOnlyList<IceCandidate> LocalCandidates
    {
        get
        {
            lock (_gate)
            {
                return [.. _localCandidates];
            }
        }
    }

    /// <summary>Remote candidates, trickled and peer-reflexive ones.</summary>
    public IReadOnlyList<IceCandidate> RemoteCandidates
    {
        get
        {
            lock (_gate)
            {
                return [.. _remoteCandidates];
            }
        }
    }

    /// <summary>Counters.</summary>
    public IceStats Stats => new(
        Interlocked.Read(ref _checksSent),
        Interlocked.Read(ref _checksReceived),
        Interlocked.Read(ref _consentSent),
        Interlocked.Read(ref _stunRejected),
        Interlocked.Read(ref _dropped),
        Interlocked.Read(ref _remoteIgnored));

    private static long NowMs => Environment.TickCount64;

    /// <summary>
    /// Binds one UDP socket per usable local address, raises <see cref="LocalCandidate"/> for each host
    /// candidate and each server-reflexive one, and completes when gathering is over and every
    /// <see cref="LocalCandidate"/> and the <see cref="GatheringComplete"/> event have been raised.
    /// </summary>
    public async Task GatherAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        lock (_gate)
        {
            if (_gatheringStarted)
            {
                throw new InvalidOperationException("IceAgent.GatherAsync was already called");
            }

            _gatheringStarted = true;
        }

        var addresses = HostAddresses();
        var servers = new List<(string Uri, IPAddress[] Addresses, int Port)>();
        foreach (var uri in _options.StunServers)
        {
            var server = StunServerAddress.Parse(uri);
            IPAddress[] resolved;
            try
            {
                resolved = IPAddress.TryParse(server.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(server.Host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                resolved = []; // an unresolvable server yields no candidate, as in browsers
            }

            servers.Add((uri, resolved, server.Port));
        }

        lock (_gate)
        {
            var preference = ushort.MaxValue;
            foreach (var address in addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                try
                {
                    if (address.AddressFamily == AddressFamily.InterNetworkV6)
                    {
                        socket.DualMode = false;
                    }

                    socket.Bind(new IPEndPoint(address, 0));
                }
                catch (SocketException)
                {
                    socket.Dispose();
                    continue; // an address that went away between enumeration and bind
                }

                var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
                var host = new IceCandidate(NextFoundation(), Component, "udp", IceCandidate.ComputePriority(IceCandidateType.Host, preference, Component),
                    address.ToString(), port, IceCandidateType.Host);
                var local = new LocalSocket(socket, host, preference);
                preference--;
                _sockets.Add(local);
                _localCandidates.Add(host);
                Raise(new AgentEvent(EventKind.LocalCandidate, host));
                local.ReceiveLoop = Task.Run(() => ReceiveLoopAsync(local));
                foreach (var remote in _remoteCandidates)
                {
                    TryAddPair(local, remote);
                }
            }

            foreach (var (uri, resolved, port) in servers)
            {
                foreach (var local in _sockets)
                {
                    var target = Array.Find(resolved, a => a.AddressFamily == local.Family && IPAddress.IsLoopback(a) == IPAddress.IsLoopback(local.EndPoint.Address));
                    if (target is not null)
                    {
                        SendServerRequest(local, new IPEndPoint(target, port), uri);
                    }
                }
            }

            PublishPairs();
            _timerLoop ??= Task.Run(TimerLoopAsync);
            UpdateGathering();
        }

        await _gathered.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts connectivity checks with the peer's credentials (from its ice-ufrag and ice-pwd).</summary>
    public void Start(string remoteUfrag, string remotePassword)
    {
        ArgumentException.ThrowIfNullOrEmpty(remoteUfrag);
        ArgumentException.ThrowIfNullOrEmpty(remotePassword);
        lock (_gate)
        {
            if (!_gatheringStarted)
            {
                throw new InvalidOperationException("IceAgent.Start needs local candidates: call GatherAsync first");
            }

            if (_remoteUfrag is not null)
            {
                throw new InvalidOperationException("IceAgent.Start was already called (ICE restart is not supported)");
            }

            _remoteUfrag = remoteUfrag;
            _remotePasswordKey = System.Text.Encoding.UTF8.GetBytes(remotePassword);
            _username = remoteUfrag + ":" + LocalUfrag;
            _checkingSinceMs = NowMs;
            SetState(IceConnectionState.Checking);
            foreach (var (local, source, priority, useCandidate) in _earlyChecks)
            {
                OnAuthenticatedCheck(local, source, priority, useCandidate);
            }

            _earlyChecks.Clear();
        }
    }

    /// <summary>Completes when a pair is selected; throws <see cref="IceFailedException"/> if the agent fails first.</summary>
    public Task ConnectAsync(CancellationToken cancellationToken = default) => _connected.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Adds a remote candidate, trickled or from the SDP, at any time. TCP candidates are ignored (counted),
    /// as are names that do not resolve (mDNS names resolve only where the system resolver supports them).
    /// </summary>
    public void AddRemoteCandidate(IceCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (!candidate.IsUdp || candidate.Component != Component)
        {
            Interlocked.Increment(ref _remoteIgnored);
            return;
        }

        if (candidate.IPAddress is null)
        {
            _ = ResolveAndAddAsync(candidate);
            return;
        }

        lock (_gate)
        {
            AddRemoteLocked(candidate, candidate.IPAddress);
        }
    }

    /// <summary>The peer signalled end-of-candidates: once every pair has failed, the agent fails.</summary>
    public void AddRemoteEndOfCandidates()
    {
        lock (_gate)
        {
            _remoteEndOfCandidates = true;
        }
    }

    /// <summary>Stops timers and loops and closes the sockets; the state becomes Closed.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            _stopping.Cancel();
            SetState(IceConnectionState.Closed);
            foreach (var local in _sockets)
            {
                local.Dispose();
            }
        }

        _events.Writer.TryComplete();
        var loops = new List<Task>();
        if (_timerLoop is not null)
        {
            loops.Add(_timerLoop);
        }

        foreach (var local in _sockets)
        {
            if (local.ReceiveLoop is not null)
            {
                loops.Add(local.ReceiveLoop);
            }
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
        await _eventLoop.ConfigureAwait(false);
        _gathered.TrySetCanceled();
        _connected.TrySetException(new IceFailedException("the agent was disposed before it connected"));
        _ = _connected.Task.Exception; // observed: nobody may be waiting
    }

    // ---------------------------------------------------------------- data path

    internal void SendData(ReadOnlySpan<byte> datagram)
    {
        var pair = _selected ?? _provisional;
        var state = _state;
        // RFC 7675 §5.1: once consent has expired nothing but consent checks may be sent.
        if (pair is null || state is IceConnectionState.Failed or IceConnectionState.Closed || !pair.Local.TrySend(datagram, pair.RemoteAddress))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task ReceiveLoopAsync(LocalSocket local)
    {
        var token = _stopping.Token;
        var memory = local.ReceiveBuffer.AsMemory();
        while (!token.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await local.Socket.ReceiveFromAsync(memory, SocketFlags.None, local.ReceiveAddress, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (!token.IsCancellationRequested)
            {
                continue; // e.g. an ICMP error reported on a later receive: that datagram is lost, the socket is fine
            }
            catch (SocketException)
            {
                return;
            }

            OnDatagram(local, local.ReceiveBuffer.AsSpan(0, length));
        }
    }

    private void OnDatagram(LocalSocket local, ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length == 0)
        {
            return;
        }

        var first = datagram[0];
        if (first < 4)
        {
            OnStun(local, datagram);
            return;
        }

        // RFC 7983 §7: 20..63 DTLS, 128..191 RTP/RTCP; anything else is not ours to deliver.
        if (first is < 20 or (> 63 and < 128) or > 191)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        var source = local.ReceiveAddress;
        var selected = _selected;
        if (selected is null || selected.Local != local || !selected.RemoteAddress.Equals(source))
        {
            // Before selection (or from another valid pair): the peer may start DTLS as soon as its side
            // nominated, a moment before our own check on that pair completes.
            CandidatePair? match = null;
            foreach (var pair in _pairSnapshot)
            {
                if (pair.Local == local && pair.RemoteAddress.Equals(source))
                {
                    match = pair;
                    break;
                }
            }

            if (match is null || _state is IceConnectionState.Failed or IceConnectionState.Closed)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }

            if (selected is null)
            {
                _provisional = match;
            }
        }

        _transport.Deliver(datagram);
    }

    // ---------------------------------------------------------------- STUN

    private void OnStun(LocalSocket local, ReadOnlySpan<byte> datagram)
    {
        if (!StunMessage.TryParse(datagram, out var message) || message.Method != Stun.BindingMethod ||
            (message.HasFingerprint && !message.VerifyFingerprint()))
        {
            Interlocked.Increment(ref _stunRejected);
            return;
        }

        var source = (IPEndPoint)local.EndPoint.Create(local.ReceiveAddress);
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            switch (message.Class)
            {
                case StunClass.Request:
                    OnRequest(local, source, message);
                    break;
                case StunClass.SuccessResponse:
                case StunClass.ErrorResponse:
                    OnResponse(local, source, message);
                    break;
                default:
                    break; // Binding indications are keepalives (RFC 8445 §11); nothing to do
            }
        }
    }

    private void OnRequest(LocalSocket local, IPEndPoint source, StunMessage request)
    {
        Interlocked.Increment(ref _checksReceived);
        Span<ushort> unknown = stackalloc ushort[8];
        var unknownCount = request.FindUnknownRequired(KnownRequired, unknown);
        if (unknownCount > 0)
        {
            RespondError(local, source, request, Stun.UnknownAttribute, "Unknown Attribute", unknown[..unknownCount], sign: false);
            return;
        }

        // RFC 8445 §7.3 with RFC 8489 §9.1.3: missing credentials → 400, wrong ones → 401.
        if (!request.HasMessageIntegrity || !request.Has(Stun.Username) || request.Priority is null)
        {
            Interlocked.Increment(ref _stunRejected);
            RespondError(local, source, request, Stun.BadRequest, "Bad Request", [], sign: false);
            return;
        }

        if (!request.UsernameStartsWith(LocalUfrag + ":") || !request.VerifyMessageIntegrity(_localPasswordKey))
        {
            Interlocked.Increment(ref _stunRejected);
            RespondError(local, source, request, Stun.Unauthorized, "Unauthorized", [], sign: false);
            return;
        }

        // RFC 8445 §7.3.1.1: role conflict.
        var theirControlling = request.IceControlling;
        var theirControlled = request.IceControlled;
        if (IsControlling && theirControlling is { } theirs)
        {
            if (_tieBreaker >= theirs)
            {
                RespondError(local, source, request, Stun.RoleConflict, "Role Conflict", [], sign: true);
                return;
            }

            SwitchRole(controlling: false);
        }
        else if (!IsControlling && theirControlled is { } theirsControlled)
        {
            if (_tieBreaker >= theirsControlled)
            {
                SwitchRole(controlling: true);
            }
            else
            {
                RespondError(local, source, request, Stun.RoleConflict, "Role Conflict", [], sign: true);
                return;
            }
        }

        Span<byte> buffer = stackalloc byte[StunBufferSize];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.SuccessResponse, request.TransactionId);
        writer.AddXorMappedAddress(source);
        writer.AddMessageIntegrity(_localPasswordKey);
        writer.AddFingerprint();
        local.TrySend(buffer[..writer.Length], local.ReceiveAddress);

        if (_remotePasswordKey is null)
        {
            // RFC 8445 §7.3: answer now; the triggered check waits for the peer's credentials.
            _earlyChecks.Add((local, source, request.Priority.Value, request.UseCandidate));
            return;
        }

        OnAuthenticatedCheck(local, source, request.Priority.Value, request.UseCandidate);
    }

    /// <summary>RFC 8445 §7.3.1.3–§7.3.1.5: learn a peer-reflexive candidate, trigger a check, note a nomination.</summary>
    private void OnAuthenticatedCheck(LocalSocket local, IPEndPoint source, uint priority, bool useCandidate)
    {
        var pair = FindPair(local, source);
        if (pair is null)
        {
            var remote = FindRemote(source);
            if (remote is null)
            {
                // Chromium may offer no candidates at all and find us through its checks.
                remote = new IceCandidate(NextFoundation(), Component, "udp", priority, source.Address.ToString(), source.Port, IceCandidateType.PeerReflexive);
                _remoteCandidates.Add(remote);
            }

            pair = TryAddPair(local, remote);
            PublishPairs();
            if (pair is null)
            {
                return;
            }
        }

        if (useCandidate && !IsControlling)
        {
            pair.RemoteNominated = true;
            if (pair.State == PairState.Succeeded)
            {
                pair.Nominated = true;
                Select(pair);
            }
        }

        if (pair.State is PairState.Waiting or PairState.Failed)
        {
            pair.State = PairState.Waiting;
            Trigger(pair);
        }
    }

    private void OnResponse(LocalSocket local, IPEndPoint source, StunMessage response)
    {
        var key = TransactionKey.From(response.TransactionId);
        if (!_transactions.TryGetValue(key, out var transaction) || transaction.Local != local)
        {
            Interlocked.Increment(ref _stunRejected);
            return;
        }

        if (transaction.Kind == TransactionKind.ServerReflexive)
        {
            _transactions.Remove(key);
            if (response.Class == StunClass.SuccessResponse && (response.XorMappedAddress ?? response.MappedAddress) is { } mapped)
            {
                AddServerReflexive(local, mapped, transaction.Server!);
            }

            UpdateGathering();
            return;
        }

        // RFC 8445 §7.2.5.2: a response that does not authenticate with the peer's password is ignored.
        if (_remotePasswordKey is null || !response.VerifyMessageIntegrity(_remotePasswordKey))
        {
            Interlocked.Increment(ref _stunRejected);
            return;
        }

        _transactions.Remove(key);
        var pair = transaction.Pair!;
        if (pair.InFlight == transaction)
        {
            pair.InFlight = null;
        }

        if (response.Class == StunClass.ErrorResponse)
        {
            if (response.Error is { Code: Stun.RoleConflict })
            {
                // RFC 8445 §7.2.5.1: take the other role than the one we claimed, and check again.
                if (transaction.SentControlling == IsControlling)
                {
                    SwitchRole(!transaction.SentControlling);
                }

                pair.State = PairState.Waiting;
                Trigger(pair);
            }
            else if (transaction.Kind == TransactionKind.Check)
            {
                FailPair(pair);
            }

            return;
        }

        // RFC 8445 §7.2.5.2.1: the response must come from where the request went (symmetric).
        if (!source.Equals(transaction.Destination))
        {
            if (transaction.Kind == TransactionKind.Check)
            {
                FailPair(pair);
            }

            return;
        }

        if (pair == _selected)
        {
            _lastConsentMs = NowMs;
            if (_state == IceConnectionState.Disconnected)
            {
                SetState(IceConnectionState.Connected);
            }
        }

        if (transaction.Kind != TransactionKind.Check)
        {
            return;
        }

        // RFC 8445 §7.2.5.3.1 builds the valid pair from the mapped address; a different mapped address
        // is a local peer-reflexive candidate on the same base, and data still leaves through the base, so
        // the checked pair itself is used (the local prflx candidate is only recorded).
        if (response.XorMappedAddress is { } mappedLocal && !mappedLocal.Equals(local.EndPoint) && FindLocal(mappedLocal) is null)
        {
            _localCandidates.Add(new IceCandidate(NextFoundation(), Component, "udp", PeerReflexivePriority(local),
                mappedLocal.Address.ToString(), mappedLocal.Port, IceCandidateType.PeerReflexive, local.EndPoint.Address.ToString(), local.EndPoint.Port));
        }

        pair.State = PairState.Succeeded;
        if ((transaction.UseCandidate && IsControlling) || (pair.RemoteNominated && !IsControlling))
        {
            pair.Nominated = true;
            Select(pair);
        }

        if (_nominating == pair && !pair.Nominated)
        {
            _nominating = null; // the role changed under the nomination; decide again on the next tick
        }
    }

    private void RespondError(LocalSocket local, IPEndPoint source, StunMessage request, int code, string reason, ReadOnlySpan<ushort> unknown, bool sign)
    {
        Span<byte> buffer = stackalloc byte[StunBufferSize];
        var writer = new StunWriter(buffer, request.Method, StunClass.ErrorResponse, request.TransactionId);
        writer.AddErrorCode(code, reason);
        if (!unknown.IsEmpty)
        {
            writer.AddUnknownAttributes(unknown);
        }

        if (sign)
        {
            writer.AddMessageIntegrity(_localPasswordKey);
        }

        writer.AddFingerprint();
        local.TrySend(buffer[..writer.Length], source.Serialize());
    }

    // ---------------------------------------------------------------- timer: pacing, retransmission, consent

    private async Task TimerLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.CheckPacing);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                lock (_gate)
                {
                    if (_stopping.IsCancellationRequested)
                    {
                        return;
                    }

                    Tick(NowMs);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    private void Tick(long now)
    {
        Retransmit(now);
        if (_remotePasswordKey is not null && _state is not (IceConnectionState.Failed or IceConnectionState.Closed))
        {
            SendNextCheck();
            if (IsControlling && _selected is null && _nominating is null)
            {
                Nominate();
            }

            if (_selected is not null)
            {
                KeepConsent(now);
            }
            else if (_state == IceConnectionState.Checking && (AllPairsFailed() || now - _checkingSinceMs > (long)_options.CheckingTimeout.TotalMilliseconds))
            {
                Fail(AllPairsFailed()
                    ? $"all {_pairs.Count} candidate pairs failed and the peer signalled end-of-candidates"
                    : $"no candidate pair succeeded within {_options.CheckingTimeout.TotalSeconds:0.#} s ({_pairs.Count} pairs, {_remoteCandidates.Count} remote candidates)");
            }

            if (_state == IceConnectionState.Connected && _remoteEndOfCandidates && _gatheringComplete && _triggered.Count == 0 && !HasPendingChecks())
            {
                SetState(IceConnectionState.Completed);
            }
        }
    }

    private void Retransmit(long now)
    {
        foreach (var transaction in _transactions.Values)
        {
            if (now < transaction.NextSendMs)
            {
                continue;
            }

            if (transaction.Kind == TransactionKind.Consent || transaction.Retransmissions >= _options.MaxRetransmissions)
            {
                _expired.Add(transaction);
                continue;
            }

            transaction.Retransmissions++;
            transaction.RtoMs = Math.Min(transaction.RtoMs * 2, (long)_options.MaxRto.TotalMilliseconds);
            transaction.NextSendMs = now + transaction.RtoMs;
            transaction.Local.TrySend(transaction.Message, transaction.DestinationAddress);
        }

        foreach (var transaction in _expired)
        {
            _transactions.Remove(transaction.Key);
            if (transaction.Kind == TransactionKind.Check && transaction.Pair is { } pair && pair.InFlight == transaction)
            {
                pair.InFlight = null;
                FailPair(pair);
            }
        }

        if (_expired.Count > 0)
        {
            _expired.Clear();
            UpdateGathering();
        }
    }

    /// <summary>RFC 8445 §6.1.4.2: one check per Ta, a triggered one first, else the best waiting pair.</summary>
    private void SendNextCheck()
    {
        while (_triggered.TryDequeue(out var triggered))
        {
            triggered.Triggered = false;
            if (triggered.InFlight is null && triggered.State != PairState.Failed)
            {
                SendCheck(triggered, TransactionKind.Check);
                return;
            }
        }

        if (_selected is not null)
        {
            return; // RFC 8445 §8.1.2: once selected, ordinary checks stop
        }

        CandidatePair? best = null;
        foreach (var pair in _pairs)
        {
            if (pair.State == PairState.Waiting && pair.InFlight is null && (best is null || pair.Priority > best.Priority))
            {
                best = pair;
            }
        }

        if (best is not null)
        {
            SendCheck(best, TransactionKind.Check);
        }
    }

    /// <summary>Regular nomination (RFC 8445 §8.1.1): a second check with USE-CANDIDATE on the best succeeded pair.</summary>
    private void Nominate()
    {
        CandidatePair? best = null;
        foreach (var pair in _pairs)
        {
            if (pair.State == PairState.Succeeded && (best is null || pair.Priority > best.Priority))
            {
                best = pair;
            }
        }

        if (best is null)
        {
            return;
        }

        _nominating = best;
        best.NominateNext = true;
        Trigger(best);
    }

    private void KeepConsent(long now)
    {
        var silence = now - _lastConsentMs;
        if (silence > (long)_options.ConsentTimeout.TotalMilliseconds)
        {
            Fail($"consent expired: no response from {_selected!.RemoteEndPoint} for {silence} ms (RFC 7675)");
            return;
        }

        if (silence > (long)_options.DisconnectedAfter.TotalMilliseconds && _state is IceConnectionState.Connected or IceConnectionState.Completed)
        {
            SetState(IceConnectionState.Disconnected);
        }

        if (now >= _nextConsentMs)
        {
            SendCheck(_selected!, TransactionKind.Consent);
            ScheduleConsent(now);
        }
    }

    private void ScheduleConsent(long now)
    {
        // RFC 7675 §5.1: randomised between 0.8 and 1.2 of the interval, so peers do not synchronise.
        var interval = _options.ConsentInterval.TotalMilliseconds * (0.8 + (0.4 * Random.Shared.NextDouble()));
        _nextConsentMs = now + (long)interval;
    }

    private void SendCheck(CandidatePair pair, TransactionKind kind)
    {
        var useCandidate = kind == TransactionKind.Check && pair.NominateNext && IsControlling;
        pair.NominateNext = false;
        Span<byte> id = stackalloc byte[Stun.TransactionIdLength];
        RandomNumberGenerator.Fill(id);
        Span<byte> buffer = stackalloc byte[StunBufferSize];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.Request, id);
        writer.AddUsername(_username!);
        writer.AddPriority(PeerReflexivePriority(pair.Local));
        if (IsControlling)
        {
            writer.AddIceControlling(_tieBreaker);
        }
        else
        {
            writer.AddIceControlled(_tieBreaker);
        }

        if (useCandidate)
        {
            writer.AddUseCandidate();
        }

        writer.AddMessageIntegrity(_remotePasswordKey);
        writer.AddFingerprint();

        var rto = (long)_options.InitialRto.TotalMilliseconds;
        var now = NowMs;
        var transaction = new StunTransaction(TransactionKey.From(id), kind, pair.Local, pair.RemoteEndPoint, buffer[..writer.Length].ToArray(), now + rto, rto)
        {
            Pair = pair,
            UseCandidate = useCandidate,
            SentControlling = IsControlling,
        };
        _transactions[transaction.Key] = transaction;
        if (kind == TransactionKind.Check)
        {
            pair.InFlight = transaction;
            if (pair.State == PairState.Waiting)
            {
                pair.State = PairState.InProgress;
            }

            Interlocked.Increment(ref _checksSent);
        }
        else
        {
            Interlocked.Increment(ref _consentSent);
        }

        pair.Local.TrySend(transaction.Message, pair.RemoteAddress);
    }

    private void SendServerRequest(LocalSocket local, IPEndPoint server, string uri)
    {
        Span<byte> id = stackalloc byte[Stun.TransactionIdLength];
        RandomNumberGenerator.Fill(id);
        Span<byte> buffer = stackalloc byte[64];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.Request, id);
        writer.AddFingerprint();
        var rto = (long)_options.InitialRto.TotalMilliseconds;
        var transaction = new StunTransaction(TransactionKey.From(id), TransactionKind.ServerReflexive, local, server, buffer[..writer.Length].ToArray(), NowMs + rto, rto)
        {
            Server = uri,
        };
        _transactions[transaction.Key] = transaction;
        local.TrySend(transaction.Message, transaction.DestinationAddress);
    }

    // ---------------------------------------------------------------- state

    private void AddRemoteLocked(IceCandidate candidate, IPAddress address)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        var endPoint = new IPEndPoint(address, candidate.Port);
        var known = FindRemote(endPoint);
        if (known is not null)
        {
            // RFC 8445 §7.3.1.3: a signalled candidate replaces the peer-reflexive one learned for the same address.
            if (known.Type == IceCandidateType.PeerReflexive && candidate.Type != IceCandidateType.PeerReflexive)
            {
                _remoteCandidates[_remoteCandidates.IndexOf(known)] = candidate;
                foreach (var pair in _pairs)
                {
                    if (pair.Remote == known)
                    {
                        pair.Remote = candidate;
                    }
                }
            }

            return;
        }

        _remoteCandidates.Add(candidate);
        foreach (var local in _sockets)
        {
            TryAddPair(local, candidate);
        }

        PublishPairs();
    }

    private async Task ResolveAndAddAsync(IceCandidate candidate)
    {
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(candidate.Address, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is SocketException or OperationCanceledException or ArgumentException)
        {
            Interlocked.Increment(ref _remoteIgnored); // an mDNS name without an mDNS resolver: skipped, as aioice does
            return;
        }

        if (addresses.Length == 0)
        {
            Interlocked.Increment(ref _remoteIgnored);
            return;
        }

        lock (_gate)
        {
            AddRemoteLocked(candidate, addresses[0]);
        }
    }

    private CandidatePair? TryAddPair(LocalSocket local, IceCandidate remote)
    {
        var address = remote.IPAddress ?? IPAddress.Parse(remote.Address);
        // A loopback base reaches only loopback peers, and an address family only itself.
        if (address.AddressFamily != local.Family || IPAddress.IsLoopback(address) != IPAddress.IsLoopback(local.EndPoint.Address) || _pairs.Count >= MaxPairs)
        {
            return null;
        }

        var endPoint = new IPEndPoint(address, remote.Port);
        if (FindPair(local, endPoint) is { } existing)
        {
            return existing;
        }

        var pair = new CandidatePair(local, remote, endPoint);
        pair.Priority = PairPriority(pair);
        _pairs.Add(pair);
        return pair;
    }

    private void AddServerReflexive(LocalSocket local, IPEndPoint mapped, string server)
    {
        // RFC 8445 §5.1.3: a reflexive candidate equal to a known one (a host behind no NAT) is redundant.
        if (FindLocal(mapped) is not null)
        {
            return;
        }

        var candidate = new IceCandidate(NextFoundation(), Component, "udp",
            IceCandidate.ComputePriority(IceCandidateType.ServerReflexive, (ushort)local.LocalPreference, Component),
            mapped.Address.ToString(), mapped.Port, IceCandidateType.ServerReflexive, local.EndPoint.Address.ToString(), local.EndPoint.Port);
        _ = server;
        _localCandidates.Add(candidate);
        Raise(new AgentEvent(EventKind.LocalCandidate, candidate));
    }

    private void UpdateGathering()
    {
        if (_gatheringComplete || _timerLoop is null)
        {
            return;
        }

        foreach (var transaction in _transactions.Values)
        {
            if (transaction.Kind == TransactionKind.ServerReflexive)
            {
                return;
            }
        }

        _gatheringComplete = true;
        Raise(new AgentEvent(EventKind.GatheringComplete, null)); // GatherAsync completes once it is dispatched
    }

    private void Select(CandidatePair pair)
    {
        if (_selected is { } current && (current == pair || current.Priority >= pair.Priority))
        {
            return;
        }

        _selected = pair;
        _provisional = null;
        _nominating = null;
        var now = NowMs;
        _lastConsentMs = now;
        ScheduleConsent(now);
        if (_state is IceConnectionState.Checking or IceConnectionState.New)
        {
            SetState(IceConnectionState.Connected);
            _connected.TrySetResult();
        }
    }

    private void SwitchRole(bool controlling)
    {
        IsControlling = controlling;
        _nominating = null;
        foreach (var pair in _pairs)
        {
            pair.Priority = PairPriority(pair);
        }
    }

    private void FailPair(CandidatePair pair)
    {
        pair.State = PairState.Failed;
        if (_nominating == pair)
        {
            _nominating = null;
        }
    }

    private void Fail(string reason)
    {
        SetState(IceConnectionState.Failed);
        _connected.TrySetException(new IceFailedException(reason));
        _ = _connected.Task.Exception;
    }

    private void SetState(IceConnectionState state)
    {
        if (_state == state || _state is IceConnectionState.Closed || (_state == IceConnectionState.Failed && state != IceConnectionState.Closed))
        {
            return;
        }

        _state = state;
        Raise(new AgentEvent(EventKind.State, null, state));
    }

    private void Trigger(CandidatePair pair)
    {
        if (!pair.Triggered)
        {
            pair.Triggered = true;
            _triggered.Enqueue(pair);
        }
    }

    private bool AllPairsFailed()
    {
        if (!_remoteEndOfCandidates || _triggered.Count > 0)
        {
            return false;
        }

        foreach (var pair in _pairs)
        {
            if (pair.State != PairState.Failed)
            {
                return false;
            }
        }

        return true;
    }

    private bool HasPendingChecks()
    {
        foreach (var pair in _pairs)
        {
            if (pair.State is PairState.InProgress || pair.InFlight is not null)
            {
                return true;
            }
        }

        return false;
    }

    private ulong PairPriority(CandidatePair pair) => IsControlling
        ? CandidatePair.ComputePriority(pair.Local.Host.Priority, pair.Remote.Priority)
        : CandidatePair.ComputePriority(pair.Remote.Priority, pair.Local.Host.Priority);

    /// <summary>RFC 8445 §7.1.1: PRIORITY in a check is what this base would have as a peer-reflexive candidate.</summary>
    private static uint PeerReflexivePriority(LocalSocket local) =>
        IceCandidate.ComputePriority(IceCandidateType.PeerReflexive, (ushort)local.LocalPreference, Component);

    private CandidatePair? FindPair(LocalSocket local, IPEndPoint remote)
    {
        foreach (var pair in _pairs)
        {
            if (pair.Local == local && pair.RemoteEndPoint.Equals(remote))
            {
                return pair;
            }
        }

        return null;
    }

    private IceCandidate? FindRemote(IPEndPoint endPoint)
    {
        foreach (var candidate in _remoteCandidates)
        {
            if (candidate.Port == endPoint.Port && candidate.IPAddress is { } address && address.Equals(endPoint.Address))
            {
                return candidate;
            }
        }

        return null;
    }

    private IceCandidate? FindLocal(IPEndPoint endPoint)
    {
        foreach (var candidate in _localCandidates)
        {
            if (candidate.Port == endPoint.Port && candidate.IPAddress is { } address && address.Equals(endPoint.Address))
            {
                return candidate;
            }
        }

        return null;
    }

    private void PublishPairs() => _pairSnapshot = [.. _pairs];

    private string NextFoundation() => (++_foundations).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private List<IPAddress> HostAddresses()
    {
        var result = new List<IPAddress>();
        if (_options.LoopbackOnly)
        {
            if (_options.UseIPv4)
            {
                result.Add(IPAddress.Loopback);
            }

            if (_options.UseIPv6 && Socket.OSSupportsIPv6)
            {
                result.Add(IPAddress.IPv6Loopback);
            }

            return result;
        }

        foreach (var network in NetworkInterface.GetAllNetworkInterfaces())
        {
            var named = _options.Interfaces.Count > 0;
            if (network.OperationalStatus != OperationalStatus.Up && network.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            {
                continue;
            }

            if (named ? !_options.Interfaces.Contains(network.Name) : network.NetworkInterfaceType == NetworkInterfaceType.Loopback)
            {
                continue;
            }

            foreach (var unicast in network.GetIPProperties().UnicastAddresses)
            {
                var address = unicast.Address;
                var usable = address.AddressFamily switch
                {
                    AddressFamily.InterNetwork => _options.UseIPv4,
                    AddressFamily.InterNetworkV6 => _options.UseIPv6 && !address.IsIPv6LinkLocal && !address.IsIPv6SiteLocal && !address.IsIPv4MappedToIPv6,
                    _ => false,
                };
                if (usable && !result.Contains(address))
                {
                    result.Add(address);
                }
            }
        }

        return result;
    }

    // ---------------------------------------------------------------- events

    private void Raise(AgentEvent agentEvent) => _events.Writer.TryWrite(agentEvent);

    private async Task DispatchEventsAsync()
    {
        await foreach (var agentEvent in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                switch (agentEvent.Kind)
                {
                    case EventKind.LocalCandidate:
                        LocalCandidate?.Invoke(agentEvent.Candidate!);
                        break;
                    case EventKind.GatheringComplete:
                        try
                        {
                            GatheringComplete?.Invoke();
                        }
                        finally
                        {
                            // After every LocalCandidate event: when GatherAsync returns, all were raised.
                            _gathered.TrySetResult();
                        }

                        break;
                    default:
                        StateChanged?.Invoke(agentEvent.State);
                        break;
                }
            }
#pragma warning disable CA1031 // a subscriber's bug must not stop the agent from reporting later events
            catch (Exception error)
#pragma warning restore CA1031
            {
                System.Diagnostics.Trace.TraceError($"IceAgent {LocalUfrag}: a {agentEvent.Kind} handler threw: {error}");
            }
        }
    }

    private enum EventKind
    {
        LocalCandidate,
        GatheringComplete,
        State,
    }

    private readonly record struct AgentEvent(EventKind Kind, IceCandidate? Candidate, IceConnectionState State = default);
}

/// <summary>ICE could not connect, or lost consent; the message says which and why.</summary>
public sealed class IceFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public IceFailedException(string reason)
        : base($"ICE failed: {reason}")
    {
        Reason = reason;
    }

    /// <summary>Why, without the prefix.</summary>
    public string Reason { get; }
}
