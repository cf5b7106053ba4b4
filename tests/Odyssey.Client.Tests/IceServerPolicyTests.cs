using Odyssey.Client.Api;
using Odyssey.Client.Tests.Fakes;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;

namespace Odyssey.Client.Tests;

/// <summary>
/// §4 and §10: the ICE servers of <c>/config</c> become the peer connection's options. TURN credentials are
/// kept and TURN switches ICE to the relay policy (as the JS client does), with the fallback to host and STUN
/// candidates armed; URLs our TURN client cannot use are skipped and said so in the log.
/// </summary>
public sealed class IceServerPolicyTests
{
    [Fact]
    public async Task BuildPeerOptions_TurnWithCredentials_KeepsThemAndSetsRelayPolicyWithFallback()
    {
        using var logs = new CapturingLoggerFactory();
        IceServer[] servers =
        [
            new(["stun:stun.example.com:3478"], null, null),
            new(["turn:turn.example.com:3478?transport=udp"], "user-1", "cred-1"),
        ];

        var options = OdysseyClient.BuildPeerOptions(new PeerConnectionOptions(), servers, logs.CreateLogger("t"));

        var turn = Assert.Single(options.Ice.TurnServers);
        Assert.Equal(new IceTurnServer("turn:turn.example.com:3478?transport=udp", "user-1", "cred-1"), turn);
        Assert.Equal(IceTransportPolicy.Relay, options.Ice.TransportPolicy);
        Assert.True(options.Ice.RelayFallback);
        Assert.Contains("stun:stun.example.com:3478", options.Ice.StunServers);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("cred-1", StringComparison.Ordinal));
        await using var agent = new IceAgent(options.Ice); // the result validates
    }

    [Fact]
    public void BuildPeerOptions_OnlyStun_LeavesThePolicyAll()
    {
        using var logs = new CapturingLoggerFactory();

        var options = OdysseyClient.BuildPeerOptions(new PeerConnectionOptions(), [OdysseyApi.FallbackIceServer], logs.CreateLogger("t"));

        Assert.Empty(options.Ice.TurnServers);
        Assert.Equal(IceTransportPolicy.All, options.Ice.TransportPolicy);
        Assert.Equal(["stun:stun.l.google.com:19302"], options.Ice.StunServers);
    }

    [Theory]
    [InlineData("turns:turn.example.com:443", "unsupported")]
    [InlineData("turn:turn.example.com:443?transport=tcp", "unsupported")]
    public void BuildPeerOptions_TlsOrTcpTurn_IsSkippedWithAWarningNamingIt(string url, string said)
    {
        using var logs = new CapturingLoggerFactory();

        var options = OdysseyClient.BuildPeerOptions(new PeerConnectionOptions(), [new([url], "u", "c")], logs.CreateLogger("t"));

        Assert.Empty(options.Ice.TurnServers);
        Assert.Equal(IceTransportPolicy.All, options.Ice.TransportPolicy);
        Assert.Contains(logs.Lines, l => l.Contains(url, StringComparison.Ordinal) && l.Contains(said, StringComparison.Ordinal));
    }

    [Fact]
    public void BuildPeerOptions_TurnWithoutCredentials_IsSkippedWithAWarning()
    {
        using var logs = new CapturingLoggerFactory();

        var options = OdysseyClient.BuildPeerOptions(new PeerConnectionOptions(), [new(["turn:turn.example.com"], null, null)], logs.CreateLogger("t"));

        Assert.Empty(options.Ice.TurnServers);
        Assert.Equal(IceTransportPolicy.All, options.Ice.TransportPolicy);
        Assert.Contains(logs.Lines, l => l.Contains("no username or credential", StringComparison.Ordinal));
    }

    [Fact]
    public void BuildPeerOptions_LoopbackGathering_AddsNoStunButStillTakesTurn()
    {
        using var logs = new CapturingLoggerFactory();
        var loopback = new PeerConnectionOptions { Ice = new IceAgentOptions { LoopbackOnly = true } };

        var options = OdysseyClient.BuildPeerOptions(loopback, [new(["stun:stun.example.com", "turn:127.0.0.1:3478"], "u", "p")], logs.CreateLogger("t"));

        Assert.Empty(options.Ice.StunServers);
        Assert.Single(options.Ice.TurnServers);
        Assert.Equal(IceTransportPolicy.Relay, options.Ice.TransportPolicy);
    }
}
