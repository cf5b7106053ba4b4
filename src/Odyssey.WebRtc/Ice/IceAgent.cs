using System.Net;
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
/// gathers host, server-reflexive and relay (TURN over UDP, RFC 8656) candidates, checks pairs in either role, nominates, keeps consent
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
public sealed partial class IceAgent : IAsyncDisposable
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
    private readonly List<TurnClient> _turns = [];
    private readonly List<string> _turnFailures = [];
    private List<(IPAddress[] Addresses, int Port)> _stunServers = [];
    private bool _fellBack;
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

    /// <summary>The agent whose callback this thread is running, so DisposeAsync from a handler does not wait for itself.</summary>
    [ThreadStatic]
    private static IceAgent? t_callbackOwner;

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
        var relayOnly = _options.TransportPolicy == IceTransportPolicy.Relay;
        var servers = new List<(IPAddress[] Addresses, int Port)>();
        foreach (var uri in relayOnly && !_options.RelayFallback ? [] : _options.StunServers)
        {
            var server = StunServerAddress.Parse(uri);
            servers.Add((await ResolveAsync(server.Host, cancellationToken).ConfigureAwait(false), server.Port));
        }

        var turnServers = new List<(IceTurnServer Server, IPAddress[] Addresses, int Port)>();
        foreach (var turn in _options.TurnServers)
        {
            var server = TurnServerAddress.Parse(turn.Url);
            turnServers.Add((turn, await ResolveAsync(server.Host, cancellationToken).ConfigureAwait(false), server.Port));
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
                var local = new LocalSocket(socket, host, preference) { FormsPairs = !relayOnly };
                preference--;
                _sockets.Add(local);
                if (!relayOnly)
                {
                    // RFC 8445 §5.1.1 with the W3C "relay" policy: the host base still carries the TURN traffic,
                    // but its address is neither signalled nor paired.
                    _localCandidates.Add(host);
                    Raise(new AgentEvent(EventKind.LocalCandidate, host));
                }

                local.ReceiveLoop = Task.Run(() => ReceiveLoopAsync(local));
                foreach (var remote in _remoteCandidates)
                {
                    TryAddPair(local, remote);
                }
            }

            var hostBases = _sockets.Count;
            foreach (var (server, resolved, port) in turnServers)
            {
                StartAllocations(server, resolved, port, hostBases);
            }

            _stunServers = servers;
            if (!relayOnly)
            {
                SendServerRequests();
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

    /// <summary>Why each TURN allocation that failed did so, naming the server; empty when all succeeded (or none was asked for).</summary>
    public IReadOnlyList<string> TurnFailures
    {
        get
        {
            lock (_gate)
            {
                return [.. _turnFailures];
            }
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

            // Before the sockets close: RFC 8656 §7.4, release each allocation now rather than at its expiry.
            foreach (var turn in _turns)
            {
                turn.Close(NowMs);
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

        // Called from one of our own callbacks (say, disposing on Failed), the loop running that callback
        // cannot end before it returns: waiting for it would deadlock, and it ends by itself once closed.
        if (t_callbackOwner != this)
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
            await _eventLoop.ConfigureAwait(false);
        }
        _gathered.TrySetCanceled();
        _connected.TrySetException(new IceFailedException("the agent was disposed before it connected"));
        _ = _connected.Task.Exception; // observed: nobody may be waiting
    }
}
