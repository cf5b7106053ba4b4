using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Odyssey.WebRtc.Ice;

/// <summary>Sends one datagram to the TURN server from the allocation's local socket; false when the send failed.</summary>
internal delegate bool TurnSend(ReadOnlySpan<byte> datagram);

internal enum TurnState
{
    Allocating,
    Allocated,
    Failed,
    Closed,
}

/// <summary>What a response or a timer tick changed, for the agent to act on.</summary>
internal enum TurnOutcome
{
    None,
    Allocated,
    Failed,
}

/// <summary>
/// One TURN allocation over UDP (RFC 8656) with long-term credentials (RFC 8489 §9.2): Allocate (answering the
/// 401 challenge and 438 stale nonces), Refresh before the lifetime runs out and with LIFETIME 0 on close,
/// CreatePermission per peer refreshed before the 5-minute permission lifetime, ChannelBind per peer, and the
/// data path: Send indications until a channel is bound, ChannelData after.
/// </summary>
/// <remarks>
/// Control (<see cref="Start"/>, <see cref="OnResponse"/>, <see cref="Tick"/>, <see cref="AddPeer"/>,
/// <see cref="Close"/>) is called under the ICE agent's lock with the agent's clock, so tests drive time by
/// hand. The data path (<see cref="TrySend"/>, <see cref="TryReadChannelData"/>, <see cref="TryReadDataIndication"/>)
/// takes no lock and allocates nothing once a channel is bound.
/// </remarks>
internal sealed class TurnClient
{
    /// <summary>RFC 8656 §7.2: ten minutes is the default lifetime; asking for it says we want no more.</summary>
    public const uint RequestedLifetimeSeconds = 600;

    /// <summary>Refresh this long before the allocation expires, so one lost Refresh still has time for its retransmissions.</summary>
    public const long RefreshMarginMs = 60_000;

    /// <summary>RFC 8656 §9: a permission lives 300 s; refreshing after 240 s keeps it alive through a slow round trip.</summary>
    public const long PermissionRefreshMs = 240_000;

    /// <summary>RFC 8656 §18.7: REQUESTED-TRANSPORT carries the IANA protocol number; 17 is UDP.</summary>
    private const byte UdpProtocol = 17;

    /// <summary>RFC 8489 §9.2.5 leaves the retry count to the client; a server issuing stale nonces in a loop is broken.</summary>
    private const int MaxStaleNonceRetries = 3;

    /// <summary>RFC 8656 §12: 4096 channel numbers exist; we bind one per peer and ICE pairs are capped far below.</summary>
    private const int MaxPeers = TurnChannelData.LastChannel - TurnChannelData.FirstChannel + 1;

    /// <summary>A control request (USERNAME, REALM and NONCE of up to 763 bytes each, an address, integrity) fits.</summary>
    private const int RequestBufferSize = 2400;

    /// <summary>Send indication overhead: header, XOR-PEER-ADDRESS (IPv6 at most) and the DATA attribute header and padding.</summary>
    private const int SendIndicationOverhead = Stun.HeaderLength + 24 + 4 + 3;

    /// <summary>A datagram this size or smaller is framed on the stack; larger ones (rare: DTLS keeps to 1200) rent a buffer.</summary>
    private const int StackFrameLimit = 2048;

    private readonly TurnSend _send;
    private readonly string _username;
    private readonly byte[] _password;
    private readonly long _initialRtoMs;
    private readonly long _maxRtoMs;
    private readonly int _maxRetransmissions;
    private readonly List<Transaction> _pending = [];
    private volatile TurnPeer[] _peers = [];
    private byte[]? _realm;
    private byte[]? _nonce;
    private byte[]? _key;
    private long _refreshAtMs = long.MaxValue;
    private uint _lifetimeSeconds;

    public TurnClient(IceTurnServer server, IPEndPoint serverEndPoint, TurnSend send, TimeSpan initialRto, TimeSpan maxRto, int maxRetransmissions)
    {
        Server = server;
        ServerEndPoint = serverEndPoint;
        ServerAddress = serverEndPoint.Serialize();
        _send = send;
        _username = server.Username;
        _password = Encoding.UTF8.GetBytes(server.Credential);
        _initialRtoMs = (long)initialRto.TotalMilliseconds;
        _maxRtoMs = (long)maxRto.TotalMilliseconds;
        _maxRetransmissions = maxRetransmissions;
    }

    public IceTurnServer Server { get; }

    /// <summary>The host base whose socket carries this allocation's traffic (set by the agent).</summary>
    public LocalSocket? HostBase { get; init; }

    /// <summary>The relay base built on the allocation once it succeeded (set by the agent).</summary>
    public LocalSocket? RelayBase { get; set; }

    public IPEndPoint ServerEndPoint { get; }

    /// <summary>Serialized once, so the receive path recognises the server's datagrams without allocating.</summary>
    public SocketAddress ServerAddress { get; }

    public TurnState State { get; private set; }

    /// <summary>XOR-RELAYED-ADDRESS of the allocation: the relay candidate.</summary>
    public IPEndPoint? RelayedAddress { get; private set; }

    /// <summary>XOR-MAPPED-ADDRESS of the Allocate response: our address as the server saw it (the candidate's raddr).</summary>
    public IPEndPoint? MappedAddress { get; private set; }

    /// <summary>Why the allocation failed or was lost, naming the server; null while it is fine.</summary>
    public string? FailureReason { get; private set; }

    /// <summary>The lifetime the server granted, in seconds.</summary>
    public uint LifetimeSeconds => _lifetimeSeconds;

    /// <summary>Data sends that had no known peer or failed on the socket.</summary>
    public long SendsDropped;

    /// <summary>The long-term key, MD5(username ":" realm ":" password) (RFC 8489 §9.2.2); null before the 401 challenge.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>RFC 8489 §9.2.2. SASLprep is not applied: TURN credentials in practice (and Odyssey's) are ASCII.</summary>
    public static byte[] ComputeKey(string username, ReadOnlySpan<byte> realm, ReadOnlySpan<byte> password)
    {
        var user = Encoding.UTF8.GetBytes(username);
        var input = new byte[user.Length + 1 + realm.Length + 1 + password.Length];
        user.CopyTo(input, 0);
        input[user.Length] = (byte)':';
        realm.CopyTo(input.AsSpan(user.Length + 1));
        input[user.Length + 1 + realm.Length] = (byte)':';
        password.CopyTo(input.AsSpan(user.Length + 2 + realm.Length));
#pragma warning disable CA5351 // RFC 8489 §9.2.2 defines the long-term key as MD5; the protocol, not us, chose it
        return MD5.HashData(input);
#pragma warning restore CA5351
    }

    /// <summary>Sends the first Allocate, unauthenticated: the server answers 401 with its REALM and NONCE (RFC 8489 §9.2.3).</summary>
    public void Start(long now) => SendRequest(new Transaction(Stun.AllocateMethod), now);

    /// <summary>True when <paramref name="message"/> answers one of our requests (by transaction ID).</summary>
    public bool Owns(in StunMessage message)
    {
        var key = TransactionKey.From(message.TransactionId);
        foreach (var transaction in _pending)
        {
            if (transaction.Key == key)
            {
                return true;
            }
        }

        return false;
    }

    public TurnOutcome OnResponse(in StunMessage response, long now)
    {
        var key = TransactionKey.From(response.TransactionId);
        var index = _pending.FindIndex(t => t.Key == key);
        if (index < 0 || State is TurnState.Failed or TurnState.Closed)
        {
            return TurnOutcome.None;
        }

        var transaction = _pending[index];
        if (response.Class == StunClass.SuccessResponse)
        {
            // RFC 8489 §9.2.5: a response to an authenticated request must carry valid integrity; else it is not from our server.
            if (transaction.Authenticated && (!response.HasMessageIntegrity || !response.VerifyMessageIntegrity(_key)))
            {
                return TurnOutcome.None;
            }

            _pending.RemoveAt(index);
            return OnSuccess(transaction, response, now);
        }

        if (response.Class != StunClass.ErrorResponse)
        {
            return TurnOutcome.None;
        }

        _pending.RemoveAt(index);
        var (code, reason) = response.Error ?? (0, "no ERROR-CODE");
        if (code == Stun.Unauthorized && !transaction.Authenticated && response.TryGetAttribute(Stun.Realm, out var realm) && response.TryGetAttribute(Stun.Nonce, out var nonce))
        {
            _realm = realm.ToArray();
            _nonce = nonce.ToArray();
            _key = ComputeKey(_username, _realm, _password);
            SendRequest(transaction.Again(), now);
            return TurnOutcome.None;
        }

        if (code == Stun.StaleNonce && _key is not null && transaction.StaleRetries < MaxStaleNonceRetries && response.TryGetAttribute(Stun.Nonce, out var fresh))
        {
            // RFC 8489 §9.2.5: a 438 carries the new NONCE (and may carry a new REALM); retry with it.
            _nonce = fresh.ToArray();
            if (response.TryGetAttribute(Stun.Realm, out var newRealm) && !newRealm.SequenceEqual(_realm))
            {
                _realm = newRealm.ToArray();
                _key = ComputeKey(_username, _realm, _password);
            }

            var retry = transaction.Again();
            retry.StaleRetries = transaction.StaleRetries + 1;
            SendRequest(retry, now);
            return TurnOutcome.None;
        }

        var what = $"{MethodName(transaction.Method)} failed: {code} {reason}".TrimEnd();
        switch (transaction.Method)
        {
            case Stun.AllocateMethod:
                return Fail(code == Stun.Unauthorized ? $"the credentials were rejected ({what})" : what);
            case Stun.RefreshMethod when transaction.Lifetime != 0:
                return Fail($"the allocation was lost ({what})");
            default:
                return TurnOutcome.None; // a refused permission or channel: checks through it fail and ICE moves on
        }
    }

    /// <summary>Retransmits, times out, and refreshes the allocation, permissions and channels when due.</summary>
    public TurnOutcome Tick(long now)
    {
        if (State is TurnState.Failed or TurnState.Closed)
        {
            return TurnOutcome.None;
        }

        for (var i = _pending.Count - 1; i >= 0; i--)
        {
            var transaction = _pending[i];
            if (now < transaction.NextSendMs)
            {
                continue;
            }

            if (transaction.Retransmissions >= _maxRetransmissions)
            {
                _pending.RemoveAt(i);
                if (transaction.Method == Stun.AllocateMethod || (transaction.Method == Stun.RefreshMethod && transaction.Lifetime != 0))
                {
                    return Fail($"{MethodName(transaction.Method)} got no response after {transaction.Retransmissions + 1} sends");
                }

                continue;
            }

            transaction.Retransmissions++;
            transaction.RtoMs = Math.Min(transaction.RtoMs * 2, _maxRtoMs);
            transaction.NextSendMs = now + transaction.RtoMs;
            _send(transaction.Message);
        }

        if (State != TurnState.Allocated)
        {
            return TurnOutcome.None;
        }

        if (now >= _refreshAtMs)
        {
            SendRequest(new Transaction(Stun.RefreshMethod) { Lifetime = RequestedLifetimeSeconds }, now);
            _refreshAtMs = now + RefreshDelayMs(_lifetimeSeconds); // moved again by the response
        }

        foreach (var peer in _peers)
        {
            if (now >= peer.RefreshAtMs)
            {
                Permit(peer, now);
            }
        }

        return TurnOutcome.None;
    }

    /// <summary>Installs a permission and binds a channel for <paramref name="peer"/> (idempotent).</summary>
    public void AddPeer(IPEndPoint peer, long now)
    {
        var peers = _peers;
        foreach (var known in peers)
        {
            if (known.EndPoint.Equals(peer))
            {
                return;
            }
        }

        if (peers.Length >= MaxPeers)
        {
            return;
        }

        var added = new TurnPeer(peer, (ushort)(TurnChannelData.FirstChannel + peers.Length));
        _peers = [.. peers, added];
        if (State == TurnState.Allocated)
        {
            Permit(added, now);
        }
    }

    /// <summary>True once the server confirmed the channel of <paramref name="peer"/>.</summary>
    public bool IsBound(IPEndPoint peer)
    {
        foreach (var known in _peers)
        {
            if (known.EndPoint.Equals(peer))
            {
                return known.Bound;
            }
        }

        return false;
    }

    /// <summary>RFC 8656 §7.4: a Refresh with LIFETIME 0 releases the allocation at once instead of after its lifetime; sent once, unanswered.</summary>
    public void Close(long now)
    {
        if (State == TurnState.Allocated)
        {
            SendRequest(new Transaction(Stun.RefreshMethod) { Lifetime = 0 }, now);
        }

        State = TurnState.Closed;
        _pending.Clear();
    }

    // ---------------------------------------------------------------- data path

    /// <summary>Relays <paramref name="datagram"/> to the peer at <paramref name="destination"/>: ChannelData once bound, a Send indication before.</summary>
    public bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        TurnPeer? peer = null;
        foreach (var known in _peers)
        {
            if (known.Address.Equals(destination))
            {
                peer = known;
                break;
            }
        }

        if (peer is null || State != TurnState.Allocated)
        {
            Interlocked.Increment(ref SendsDropped);
            return false;
        }

        var size = peer.Bound ? TurnChannelData.HeaderLength + datagram.Length : SendIndicationOverhead + datagram.Length;
        byte[]? rented = null;
        var buffer = size <= StackFrameLimit ? stackalloc byte[StackFrameLimit] : (rented = ArrayPool<byte>.Shared.Rent(size));
        try
        {
            var length = peer.Bound ? TurnChannelData.Write(buffer, peer.Channel, datagram) : WriteSendIndication(buffer, peer.EndPoint, datagram);
            if (!_send(buffer[..length]))
            {
                Interlocked.Increment(ref SendsDropped);
                return false;
            }

            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Unwraps ChannelData from the server: the peer of a bound channel and the data; false for an unknown channel.</summary>
    public bool TryReadChannelData(ReadOnlySpan<byte> datagram, out SocketAddress? peer, out ReadOnlySpan<byte> data)
    {
        peer = null;
        if (!TurnChannelData.TryRead(datagram, out var channel, out data))
        {
            return false;
        }

        var peers = _peers;
        var index = channel - TurnChannelData.FirstChannel;
        if (index >= peers.Length)
        {
            return false;
        }

        peer = peers[index].Address;
        return true;
    }

    /// <summary>Unwraps a Data indication (RFC 8656 §11.4): the peer it came from and the DATA; false when malformed or from an unknown peer.</summary>
    public bool TryReadDataIndication(in StunMessage indication, out SocketAddress? peer, out ReadOnlySpan<byte> data)
    {
        peer = null;
        if (!indication.TryGetAttribute(Stun.Data, out data) || indication.XorPeerAddress is not { } from)
        {
            return false;
        }

        foreach (var known in _peers)
        {
            if (known.EndPoint.Equals(from))
            {
                peer = known.Address;
                return true;
            }
        }

        return false; // the server forwards only from permitted peers; anything else is not ours
    }

    /// <summary>RFC 8656 §11.1: XOR-PEER-ADDRESS and DATA, no integrity (indications are not authenticated).</summary>
    internal static int WriteSendIndication(Span<byte> buffer, IPEndPoint peer, ReadOnlySpan<byte> data)
    {
        Span<byte> id = stackalloc byte[Stun.TransactionIdLength];
        RandomNumberGenerator.Fill(id);
        var writer = new StunWriter(buffer, Stun.SendMethod, StunClass.Indication, id);
        writer.AddXorPeerAddress(peer);
        writer.AddAttribute(Stun.Data, data);
        return writer.Length;
    }

    // ---------------------------------------------------------------- control

    private TurnOutcome OnSuccess(Transaction transaction, in StunMessage response, long now)
    {
        switch (transaction.Method)
        {
            case Stun.AllocateMethod:
                if (response.XorRelayedAddress is not { } relayed)
                {
                    return Fail("the Allocate success response has no XOR-RELAYED-ADDRESS");
                }

                RelayedAddress = relayed;
                MappedAddress = response.XorMappedAddress;
                _lifetimeSeconds = response.Lifetime ?? RequestedLifetimeSeconds;
                _refreshAtMs = now + RefreshDelayMs(_lifetimeSeconds);
                State = TurnState.Allocated;
                foreach (var peer in _peers)
                {
                    Permit(peer, now);
                }

                return TurnOutcome.Allocated;
            case Stun.RefreshMethod when transaction.Lifetime != 0:
                _lifetimeSeconds = response.Lifetime ?? _lifetimeSeconds;
                _refreshAtMs = now + RefreshDelayMs(_lifetimeSeconds);
                return TurnOutcome.None;
            case Stun.ChannelBindMethod:
                transaction.Peer!.Bound = true;
                return TurnOutcome.None;
            default:
                return TurnOutcome.None;
        }
    }

    /// <summary>CreatePermission, then ChannelBind (which also refreshes the permission, RFC 8656 §12.2) for one peer.</summary>
    private void Permit(TurnPeer peer, long now)
    {
        peer.RefreshAtMs = now + PermissionRefreshMs;
        SendRequest(new Transaction(Stun.CreatePermissionMethod) { Peer = peer }, now);
        SendRequest(new Transaction(Stun.ChannelBindMethod) { Peer = peer }, now);
    }

    private void SendRequest(Transaction transaction, long now)
    {
        Span<byte> id = stackalloc byte[Stun.TransactionIdLength];
        RandomNumberGenerator.Fill(id);
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var writer = new StunWriter(buffer, transaction.Method, StunClass.Request, id);
        switch (transaction.Method)
        {
            case Stun.AllocateMethod:
                writer.AddRequestedTransport(UdpProtocol);
                writer.AddLifetime(RequestedLifetimeSeconds);
                break;
            case Stun.RefreshMethod:
                writer.AddLifetime(transaction.Lifetime);
                break;
            case Stun.CreatePermissionMethod:
                writer.AddXorPeerAddress(transaction.Peer!.EndPoint);
                break;
            case Stun.ChannelBindMethod:
                writer.AddChannelNumber(transaction.Peer!.Channel);
                writer.AddXorPeerAddress(transaction.Peer!.EndPoint);
                break;
            default:
                throw new InvalidOperationException($"TURN method 0x{transaction.Method:X3} is not a request we send");
        }

        if (_key is not null)
        {
            writer.AddUsername(_username);
            writer.AddRealmOrNonce(Stun.Realm, _realm);
            writer.AddRealmOrNonce(Stun.Nonce, _nonce);
            writer.AddMessageIntegrity(_key);
            transaction.Authenticated = true;
        }

        writer.AddFingerprint();
        transaction.Key = TransactionKey.From(id);
        transaction.Message = buffer[..writer.Length].ToArray();
        transaction.RtoMs = _initialRtoMs;
        transaction.NextSendMs = now + _initialRtoMs;
        if (transaction.Method != Stun.RefreshMethod || transaction.Lifetime != 0)
        {
            _pending.Add(transaction);
        }

        _send(transaction.Message);
    }

    private TurnOutcome Fail(string reason)
    {
        State = TurnState.Failed;
        FailureReason = $"TURN server {Server.Url}: {reason}";
        _pending.Clear();
        return TurnOutcome.Failed;
    }

    private static long RefreshDelayMs(uint lifetimeSeconds)
    {
        var lifetimeMs = lifetimeSeconds * 1000L;
        return lifetimeMs > 2 * RefreshMarginMs ? lifetimeMs - RefreshMarginMs : lifetimeMs / 2;
    }

    private static string MethodName(ushort method) => method switch
    {
        Stun.AllocateMethod => "Allocate",
        Stun.RefreshMethod => "Refresh",
        Stun.CreatePermissionMethod => "CreatePermission",
        Stun.ChannelBindMethod => "ChannelBind",
        _ => $"method 0x{method:X3}",
    };

    /// <summary>A request in flight; <see cref="Again"/> makes the same request afresh (new ID, current credentials).</summary>
    private sealed class Transaction(ushort method)
    {
        public ushort Method { get; } = method;

        public TurnPeer? Peer { get; init; }

        public uint Lifetime { get; init; }

        public TransactionKey Key { get; set; }

        public byte[] Message { get; set; } = [];

        public bool Authenticated { get; set; }

        public int StaleRetries { get; set; }

        public int Retransmissions { get; set; }

        public long NextSendMs { get; set; }

        public long RtoMs { get; set; }

        public Transaction Again() => new(Method) { Peer = Peer, Lifetime = Lifetime, StaleRetries = StaleRetries };
    }
}

/// <summary>A peer reached through the allocation: its permission and channel.</summary>
internal sealed class TurnPeer(IPEndPoint endPoint, ushort channel)
{
    public IPEndPoint EndPoint { get; } = endPoint;

    /// <summary>Serialized once: sends find the peer and receives report it without allocating.</summary>
    public SocketAddress Address { get; } = endPoint.Serialize();

    public ushort Channel { get; } = channel;

    /// <summary>Set once the ChannelBind succeeded; ChannelData is used from then on (RFC 8656 §12.1).</summary>
    public volatile bool Bound;

    public long RefreshAtMs { get; set; }
}
