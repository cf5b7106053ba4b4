using System.Buffers.Binary;
using System.Net;
using System.Text;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

/// <summary>
/// The TURN client's messages and state against canned server responses, with the clock driven by hand:
/// the long-term credential flow (401 challenge, 438 stale nonce, rejected credentials), Allocate, Refresh,
/// CreatePermission, ChannelBind, and the Send-indication and ChannelData framing of the data path.
/// </summary>
public sealed class TurnClientTests
{
    private static readonly IceTurnServer Server = new("turn:127.0.0.1:3478", "u", "p");
    private static readonly IPEndPoint ServerEndPoint = new(IPAddress.Loopback, 3478);
    private static readonly IPEndPoint Relayed = new(IPAddress.Parse("192.0.2.15"), 50000);
    private static readonly IPEndPoint Mapped = new(IPAddress.Parse("192.0.2.1"), 40000);
    private static readonly IPEndPoint Peer = new(IPAddress.Parse("198.51.100.7"), 6000);

    /// <summary>MD5("u:test:p"), computed outside .NET (Python hashlib).</summary>
    private const string KeyForUTestP = "5c8157fd8ef5f6b56629b7399d83ce25";

    private readonly List<byte[]> _sent = [];

    [Fact]
    public void ComputeKey_UsernameRealmPassword_IsMd5OfTheColonJoinedString()
    {
        var key = TurnClient.ComputeKey("u", "test"u8, "p"u8);

        Assert.Equal(KeyForUTestP, Convert.ToHexStringLower(key));
    }

    [Fact]
    public void ComputeKey_Rfc5769LongTermVector_SignsTheSampleRequestByteForByte()
    {
        var vector = StunVectorTests.SampleLongTermRequest;
        var parsed = StunMessage.Parse(vector);
        Assert.True(parsed.TryGetAttribute(Stun.Nonce, out var nonce));
        Assert.True(parsed.TryGetAttribute(Stun.Realm, out var realm));

        var key = TurnClient.ComputeKey(parsed.Username!, realm, "TheMatrIX"u8);
        var buffer = new byte[vector.Length];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.Request, parsed.TransactionId);
        writer.AddUsername(parsed.Username!);
        writer.AddRealmOrNonce(Stun.Nonce, nonce);
        writer.AddRealmOrNonce(Stun.Realm, realm);
        writer.AddMessageIntegrity(key);

        Assert.Equal(vector, buffer[..writer.Length]);
    }

    [Fact]
    public void Start_FirstAllocate_IsUnauthenticatedAndAsksForUdp()
    {
        var turn = NewClient();

        turn.Start(0);

        var request = StunMessage.Parse(_sent.Single());
        Assert.Equal(Stun.AllocateMethod, request.Method);
        Assert.Equal(StunClass.Request, request.Class);
        Assert.True(request.TryGetAttribute(Stun.RequestedTransport, out var transport));
        Assert.Equal([17, 0, 0, 0], transport.ToArray());
        Assert.Equal(TurnClient.RequestedLifetimeSeconds, request.Lifetime);
        Assert.False(request.HasMessageIntegrity);
        Assert.False(request.Has(Stun.Username));
        Assert.True(request.VerifyFingerprint());
    }

    [Fact]
    public void OnResponse_Canned401_RetriesWithUsernameRealmNonceAndLongTermIntegrity()
    {
        var turn = NewClient();
        turn.Start(0);

        var outcome = turn.OnResponse(StunMessage.Parse(Canned401(_sent[^1])), 10);

        Assert.Equal(TurnOutcome.None, outcome);
        Assert.Equal(2, _sent.Count);
        var retry = StunMessage.Parse(_sent[^1]);
        Assert.Equal(Stun.AllocateMethod, retry.Method);
        Assert.Equal("u", retry.Username);
        Assert.True(retry.TryGetAttribute(Stun.Realm, out var realm));
        Assert.Equal("test", Encoding.UTF8.GetString(realm));
        Assert.True(retry.TryGetAttribute(Stun.Nonce, out var nonce));
        Assert.Equal("abcd1234", Encoding.UTF8.GetString(nonce));
        Assert.True(retry.VerifyMessageIntegrity(Convert.FromHexString(KeyForUTestP)));
        Assert.False(retry.TransactionId.SequenceEqual(StunMessage.Parse(_sent[0]).TransactionId));
    }

    [Fact]
    public void OnResponse_SignedSuccess_AllocatesWithRelayedMappedAndLifetime()
    {
        var turn = Allocated(lifetime: 300);

        Assert.Equal(TurnState.Allocated, turn.State);
        Assert.Equal(Relayed, turn.RelayedAddress);
        Assert.Equal(Mapped, turn.MappedAddress);
        Assert.Equal(300u, turn.LifetimeSeconds);
    }

    [Fact]
    public void OnResponse_SuccessWithWrongIntegrity_IsIgnored()
    {
        var turn = NewClient();
        turn.Start(0);
        turn.OnResponse(StunMessage.Parse(Canned401(_sent[^1])), 0);

        var forged = Success(_sent[^1], Stun.AllocateMethod, "not the key"u8.ToArray(), w =>
        {
            w.AddXorRelayedAddress(Relayed);
            w.AddLifetime(600);
        });

        Assert.Equal(TurnOutcome.None, turn.OnResponse(StunMessage.Parse(forged), 0));
        Assert.Equal(TurnState.Allocating, turn.State);
    }

    [Fact]
    public void OnResponse_StaleNonce438_RetriesWithTheNewNonce()
    {
        var turn = NewClient();
        turn.Start(0);
        turn.OnResponse(StunMessage.Parse(Canned401(_sent[^1])), 0);

        var stale = Error(_sent[^1], Stun.AllocateMethod, Stun.StaleNonce, "Stale Nonce", w => w.AddRealmOrNonce(Stun.Nonce, "fresh-nonce"u8));
        Assert.Equal(TurnOutcome.None, turn.OnResponse(StunMessage.Parse(stale), 0));

        var retry = StunMessage.Parse(_sent[^1]);
        Assert.Equal(3, _sent.Count);
        Assert.True(retry.TryGetAttribute(Stun.Nonce, out var nonce));
        Assert.Equal("fresh-nonce", Encoding.UTF8.GetString(nonce));
        Assert.True(retry.VerifyMessageIntegrity(Convert.FromHexString(KeyForUTestP)));
        Assert.Equal(TurnState.Allocating, turn.State);
    }

    [Fact]
    public void OnResponse_401ToAuthenticatedAllocate_FailsNamingTheServer()
    {
        var turn = NewClient();
        turn.Start(0);
        turn.OnResponse(StunMessage.Parse(Canned401(_sent[^1])), 0);

        var outcome = turn.OnResponse(StunMessage.Parse(Canned401(_sent[^1])), 0);

        Assert.Equal(TurnOutcome.Failed, outcome);
        Assert.Equal(TurnState.Failed, turn.State);
        Assert.Contains("turn:127.0.0.1:3478", turn.FailureReason, StringComparison.Ordinal);
        Assert.Contains("credentials were rejected", turn.FailureReason, StringComparison.Ordinal);
        Assert.DoesNotContain(Server.Credential + "\"", turn.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void OnResponse_AllocateQuotaError_FailsWithCodeAndReason()
    {
        var turn = NewClient();
        turn.Start(0);
        turn.OnResponse(StunMessage.Parse(Canned401(_sent[^1])), 0);

        turn.OnResponse(StunMessage.Parse(Error(_sent[^1], Stun.AllocateMethod, 486, "Allocation Quota Reached", null)), 0);

        Assert.Equal(TurnState.Failed, turn.State);
        Assert.Contains("Allocate failed: 486 Allocation Quota Reached", turn.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Tick_NoResponseToAllocate_FailsAfterTheRetransmissions()
    {
        var turn = NewClient();
        turn.Start(0);

        var outcome = TurnOutcome.None;
        for (long now = 0; now < 60_000 && outcome == TurnOutcome.None; now += 100)
        {
            outcome = turn.Tick(now);
        }

        Assert.Equal(TurnOutcome.Failed, outcome);
        Assert.Equal(4, _sent.Count); // the first send and MaxRetransmissions (3) more, all the same bytes
        Assert.All(_sent, s => Assert.Equal(_sent[0], s));
        Assert.Contains("no response after 4 sends", turn.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPeer_Allocated_SendsCreatePermissionAndChannelBindForThePeer()
    {
        var turn = Allocated();
        _sent.Clear();

        turn.AddPeer(Peer, 1000);

        Assert.Equal(2, _sent.Count);
        var permission = StunMessage.Parse(_sent[0]);
        Assert.Equal(Stun.CreatePermissionMethod, permission.Method);
        Assert.Equal(Peer, permission.XorPeerAddress);
        Assert.True(permission.VerifyMessageIntegrity(Convert.FromHexString(KeyForUTestP)));
        var bind = StunMessage.Parse(_sent[1]);
        Assert.Equal(Stun.ChannelBindMethod, bind.Method);
        Assert.True(bind.TryGetAttribute(Stun.ChannelNumber, out var channel));
        Assert.Equal(new byte[] { 0x40, 0x00, 0, 0 }, channel.ToArray());
        Assert.Equal(Peer, bind.XorPeerAddress);
    }

    [Fact]
    public void TrySend_BeforeChannelBound_SendsASendIndicationWithPeerAndData()
    {
        var turn = Allocated();
        turn.AddPeer(Peer, 0);
        _sent.Clear();

        Assert.True(turn.TrySend([0x16, 0xFE, 0xFD, 1, 2, 3], Peer.Serialize()));

        var indication = StunMessage.Parse(_sent.Single());
        Assert.Equal(Stun.SendMethod, indication.Method);
        Assert.Equal(StunClass.Indication, indication.Class);
        Assert.Equal(Peer, indication.XorPeerAddress);
        Assert.True(indication.TryGetAttribute(Stun.Data, out var data));
        Assert.Equal(new byte[] { 0x16, 0xFE, 0xFD, 1, 2, 3 }, data.ToArray());
        Assert.False(indication.HasMessageIntegrity);
    }

    [Fact]
    public void TrySend_AfterChannelBindSuccess_SendsChannelDataOnChannel0x4000()
    {
        var turn = Allocated();
        turn.AddPeer(Peer, 0);
        var bind = _sent[^1];
        turn.OnResponse(StunMessage.Parse(Success(bind, Stun.ChannelBindMethod, Convert.FromHexString(KeyForUTestP), null)), 0);
        _sent.Clear();

        Assert.True(turn.IsBound(Peer));
        Assert.True(turn.TrySend([0x80, 0x60, 9, 9, 9], Peer.Serialize()));

        Assert.Equal(new byte[] { 0x40, 0x00, 0x00, 0x05, 0x80, 0x60, 9, 9, 9 }, _sent.Single());
    }

    [Fact]
    public void TrySend_UnknownPeer_IsDroppedAndCounted()
    {
        var turn = Allocated();

        Assert.False(turn.TrySend([1, 2, 3], Peer.Serialize()));

        Assert.Empty(_sent.Skip(2));
        Assert.Equal(1, turn.SendsDropped);
    }

    [Fact]
    public void TryReadChannelData_CannedFromServer_GivesThePeerOfTheChannelAndTheData()
    {
        var turn = Allocated();
        turn.AddPeer(Peer, 0);
        byte[] canned = [0x40, 0x00, 0x00, 0x03, 0xAA, 0xBB, 0xCC, 0x00]; // one byte of padding after the data

        Assert.True(turn.TryReadChannelData(canned, out var peer, out var data));

        Assert.Equal(Peer.Serialize(), peer);
        Assert.Equal(new byte[] { 0xAA, 0xBB, 0xCC }, data.ToArray());
    }

    [Fact]
    public void TryReadDataIndication_FromPermittedPeer_GivesPeerAndData()
    {
        var turn = Allocated();
        turn.AddPeer(Peer, 0);
        var buffer = new byte[128];
        var writer = new StunWriter(buffer, Stun.DataMethod, StunClass.Indication, new byte[12]);
        writer.AddXorPeerAddress(Peer);
        writer.AddAttribute(Stun.Data, [0x17, 0xFE, 0xFD]);

        Assert.True(turn.TryReadDataIndication(StunMessage.Parse(buffer.AsSpan(0, writer.Length)), out var peer, out var data));

        Assert.Equal(Peer.Serialize(), peer);
        Assert.Equal(new byte[] { 0x17, 0xFE, 0xFD }, data.ToArray());
    }

    [Fact]
    public void Tick_BeforeLifetimeEnds_RefreshesTheAllocation()
    {
        var turn = Allocated(lifetime: 600);
        _sent.Clear();

        turn.Tick(539_000);
        Assert.Empty(_sent);
        turn.Tick(540_000); // 600 s less the 60 s margin

        var refresh = StunMessage.Parse(_sent.Single());
        Assert.Equal(Stun.RefreshMethod, refresh.Method);
        Assert.Equal(TurnClient.RequestedLifetimeSeconds, refresh.Lifetime);
        Assert.True(refresh.VerifyMessageIntegrity(Convert.FromHexString(KeyForUTestP)));
    }

    [Fact]
    public void Tick_PermissionAge_RefreshesPermissionAndChannelBeforeFiveMinutes()
    {
        var turn = Allocated(lifetime: 3600);
        turn.AddPeer(Peer, 0);
        _sent.Clear();

        turn.Tick(TurnClient.PermissionRefreshMs);

        Assert.Equal([Stun.CreatePermissionMethod, Stun.ChannelBindMethod], _sent.Select(s => StunMessage.Parse(s).Method).Where(m => m != Stun.AllocateMethod).ToArray()[^2..]);
        Assert.True(TurnClient.PermissionRefreshMs < 300_000);
    }

    [Fact]
    public void Close_Allocated_SendsRefreshWithLifetimeZero()
    {
        var turn = Allocated();
        _sent.Clear();

        turn.Close(5);

        var refresh = StunMessage.Parse(_sent.Single());
        Assert.Equal(Stun.RefreshMethod, refresh.Method);
        Assert.Equal(0u, refresh.Lifetime);
        Assert.Equal(TurnState.Closed, turn.State);
    }

    [Fact]
    public void ChannelData_WriteThenRead_RoundTripsAndRejectsBadFrames()
    {
        var buffer = new byte[16];
        var length = TurnChannelData.Write(buffer, 0x4ABC, [1, 2, 3, 4, 5]);

        Assert.Equal(new byte[] { 0x4A, 0xBC, 0x00, 0x05, 1, 2, 3, 4, 5 }, buffer[..length]);
        Assert.True(TurnChannelData.TryRead(buffer.AsSpan(0, length), out var channel, out var data));
        Assert.Equal(0x4ABC, channel);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, data.ToArray());
        Assert.False(TurnChannelData.TryRead(buffer.AsSpan(0, length - 1), out _, out _)); // length runs past the end
        Assert.False(TurnChannelData.TryRead([0x50, 0x00, 0x00, 0x00], out _, out _)); // 0x5000 is outside the channel range
        Assert.False(TurnChannelData.TryRead([0x40, 0x00, 0x00], out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => TurnChannelData.Write(buffer, 0x3FFF, [1]));
    }

    [Theory]
    [InlineData("turn:turn.example.com", "turn.example.com", 3478)]
    [InlineData("turn:10.0.0.1:19303?transport=udp", "10.0.0.1", 19303)]
    [InlineData("turn:[2001:db8::1]:5349", "2001:db8::1", 5349)]
    public void TurnServerAddress_SupportedUrl_ParsesHostAndPort(string url, string host, int port)
    {
        Assert.Equal(new TurnServerAddress(host, port), TurnServerAddress.Parse(url));
        Assert.True(IceTurnServer.IsSupported(url));
    }

    [Theory]
    [InlineData("turns:turn.example.com:443", "turns:")]
    [InlineData("turn:turn.example.com:443?transport=tcp", "transport=tcp")]
    public void IceAgentOptions_TlsOrTcpTurn_IsRejectedAsUnsupported(string url, string named)
    {
        var options = new IceAgentOptions { TurnServers = [new IceTurnServer(url, "u", "p")] };

        var error = Assert.Throws<ArgumentException>(() => new IceAgent(options));

        Assert.Contains("unsupported", error.Message, StringComparison.Ordinal);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.False(IceTurnServer.IsSupported(url));
    }

    [Fact]
    public void IceAgentOptions_RelayPolicyWithoutTurnServer_IsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new IceAgent(new IceAgentOptions { TransportPolicy = IceTransportPolicy.Relay }));

        Assert.Contains("TurnServers is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IceTurnServer_ToString_NeverShowsTheCredential()
    {
        Assert.Equal("turn:127.0.0.1:3478", new IceTurnServer("turn:127.0.0.1:3478", "user", "s3cret").ToString());
    }

    private TurnClient NewClient() =>
        new(Server, ServerEndPoint, d => { _sent.Add(d.ToArray()); return true; }, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(3), maxRetransmissions: 3);

    private TurnClient Allocated(uint lifetime = 600)
    {
        var turn = NewClient();
        turn.Start(0);
        turn.OnResponse(StunMessage.Parse(Canned401(_sent[^1])), 0);
        var success = Success(_sent[^1], Stun.AllocateMethod, Convert.FromHexString(KeyForUTestP), w =>
        {
            w.AddXorRelayedAddress(Relayed);
            w.AddXorMappedAddress(Mapped);
            w.AddLifetime(lifetime);
        });
        Assert.Equal(TurnOutcome.Allocated, turn.OnResponse(StunMessage.Parse(success), 0));
        return turn;
    }

    /// <summary>
    /// A 401 to Allocate as coturn sends it, byte for byte: ERROR-CODE 401 "Unauthorized", REALM "test",
    /// NONCE "abcd1234"; only the transaction ID is taken from the request it answers.
    /// </summary>
    private static byte[] Canned401(byte[] request)
    {
        var canned = Convert.FromHexString(
            "01130030" + "2112a442" + "000000000000000000000000" +
            "00090010" + "00000401" + "556e617574686f72697a6564" + // ERROR-CODE 401 Unauthorized
            "00140004" + "74657374" + // REALM test
            "00150008" + "6162636431323334" + // NONCE abcd1234
            "80220004" + "74657374"); // SOFTWARE, comprehension-optional: ignored
        request.AsSpan(8, 12).CopyTo(canned.AsSpan(8));
        Assert.Equal(canned.Length - 20, BinaryPrimitives.ReadUInt16BigEndian(canned.AsSpan(2)));
        return canned;
    }

    private static byte[] Success(byte[] request, ushort method, byte[] key, Action<StunWriterBox>? attributes)
    {
        var buffer = new byte[512];
        var writer = new StunWriter(buffer, method, StunClass.SuccessResponse, request.AsSpan(8, 12));
        var box = new StunWriterBox();
        attributes?.Invoke(box);
        box.Apply(ref writer);
        writer.AddMessageIntegrity(key);
        writer.AddFingerprint();
        return buffer[..writer.Length];
    }

    private static byte[] Error(byte[] request, ushort method, int code, string reason, Action<StunWriterBox>? attributes)
    {
        var buffer = new byte[512];
        var writer = new StunWriter(buffer, method, StunClass.ErrorResponse, request.AsSpan(8, 12));
        writer.AddErrorCode(code, reason);
        var box = new StunWriterBox();
        attributes?.Invoke(box);
        box.Apply(ref writer);
        writer.AddFingerprint();
        return buffer[..writer.Length];
    }

    /// <summary>StunWriter is a ref struct, so lambdas record what to add and it is applied afterwards.</summary>
    private sealed class StunWriterBox
    {
        private readonly List<(ushort Type, byte[] Value, IPEndPoint? Address)> _items = [];

        public void AddXorRelayedAddress(IPEndPoint endPoint) => _items.Add((Stun.XorRelayedAddress, [], endPoint));

        public void AddXorMappedAddress(IPEndPoint endPoint) => _items.Add((Stun.XorMappedAddress, [], endPoint));

        public void AddLifetime(uint seconds)
        {
            var value = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(value, seconds);
            _items.Add((Stun.Lifetime, value, null));
        }

        public void AddRealmOrNonce(ushort type, ReadOnlySpan<byte> value) => _items.Add((type, value.ToArray(), null));

        public void Apply(ref StunWriter writer)
        {
            foreach (var (type, value, address) in _items)
            {
                if (address is null)
                {
                    writer.AddAttribute(type, value);
                }
                else if (type == Stun.XorRelayedAddress)
                {
                    writer.AddXorRelayedAddress(address);
                }
                else
                {
                    writer.AddXorMappedAddress(address);
                }
            }
        }
    }
}
