using System.Net;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

/// <summary>Server-reflexive gathering against a STUN server of the test's own on loopback.</summary>
public sealed class IceGatheringTests
{
    private static readonly IPAddress NatAddress = IPAddress.Parse("192.0.2.10"); // TEST-NET-1: documentation only, never routed

    [Fact]
    public async Task Gather_StunServerBehindNat_RaisesSrflxWithHostAsRelatedAddress()
    {
        using var server = new TinyStunServer(source => new IPEndPoint(NatAddress, source.Port + 1));
        await using var agent = new IceAgent(AgentHarness.Fast(true) with { UseIPv6 = false, StunServers = [server.Uri] });
        var raised = new System.Collections.Concurrent.ConcurrentQueue<IceCandidate>();
        agent.LocalCandidate += raised.Enqueue;

        await agent.GatherAsync().WaitAsync(AgentHarness.Guard);

        var host = Assert.Single(agent.LocalCandidates, c => c.Type == IceCandidateType.Host);
        var srflx = Assert.Single(agent.LocalCandidates, c => c.Type == IceCandidateType.ServerReflexive);
        Assert.Equal(NatAddress, srflx.IPAddress);
        Assert.Equal(host.Port + 1, srflx.Port);
        Assert.Equal(host.Address, srflx.RelatedAddress);
        Assert.Equal(host.Port, srflx.RelatedPort);
        Assert.True(srflx.Priority < host.Priority);
        Assert.NotEqual(host.Foundation, srflx.Foundation);
        Assert.Equal(srflx, raised.Last()); // raised as it was found, after the host candidate
        Assert.Equal(host, raised.First());
    }

    [Fact]
    public async Task Gather_StunServerSeesHostAddress_NoRedundantSrflx()
    {
        using var server = new TinyStunServer(source => source);
        await using var agent = new IceAgent(AgentHarness.Fast(true) with { UseIPv6 = false, StunServers = [server.Uri] });

        await agent.GatherAsync().WaitAsync(AgentHarness.Guard);

        Assert.True(server.Requests >= 1); // a slow first answer may have been retransmitted; the outcome is what counts
        Assert.All(agent.LocalCandidates, c => Assert.Equal(IceCandidateType.Host, c.Type));
    }

    [Fact]
    public async Task Gather_StunServerSilent_CompletesAfterRetransmissions()
    {
        using var server = new TinyStunServer(_ => null);
        await using var agent = new IceAgent(AgentHarness.Fast(true) with { UseIPv6 = false, MaxRetransmissions = 2, StunServers = [server.Uri] });

        await agent.GatherAsync().WaitAsync(AgentHarness.Guard);

        Assert.Equal(3, server.Requests); // the first send and two retransmissions
        Assert.All(agent.LocalCandidates, c => Assert.Equal(IceCandidateType.Host, c.Type));
    }

    [Fact]
    public async Task Connect_WithSrflxCandidatesSignalled_StillConnectsOverHost()
    {
        using var server = new TinyStunServer(source => new IPEndPoint(NatAddress, source.Port));
        var withStun = AgentHarness.Fast(true) with { StunServers = [server.Uri] };
        await using var harness = new AgentHarness(withStun, AgentHarness.Fast(false) with { StunServers = [server.Uri] });
        harness.Wire();
        await harness.GatherAndStartAsync();

        await harness.ConnectAsync();

        Assert.Contains(harness.B.RemoteCandidates, c => c.Type == IceCandidateType.ServerReflexive);
        Assert.Equal(IceCandidateType.Host, harness.A.SelectedPair!.Local.Type);
    }

    [Theory]
    [InlineData("stun:stun.example.org", "stun.example.org", 3478)]
    [InlineData("stun:127.0.0.1:19302", "127.0.0.1", 19302)]
    [InlineData("stun:[::1]:5000", "::1", 5000)]
    [InlineData("stun.example.org:3479", "stun.example.org", 3479)]
    public void StunServerAddress_Forms_Parse(string uri, string host, int port) =>
        Assert.Equal(new StunServerAddress(host, port), StunServerAddress.Parse(uri));

    [Theory]
    [InlineData("turn:relay.example.org")]
    [InlineData("stun:host:99999")]
    [InlineData("stun:[::1")]
    public void Options_BadStunServer_ThrowsNamingTheEntry(string uri)
    {
        var error = Assert.Throws<ArgumentException>(() => new IceAgent(new IceAgentOptions { StunServers = [uri] }));

        Assert.Contains(uri, error.Message, StringComparison.Ordinal);
    }
}
