using System.Net;
using System.Net.Sockets;
using System.Text;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

/// <summary>What the agent answers to hand-made checks (RFC 8445 §7.3, RFC 8489 §6.3).</summary>
public sealed class IceAgentStunTests
{
    [Fact]
    public async Task Request_Authenticated_SuccessWithXorMappedSourceAndIntegrity()
    {
        await using var agent = await GatheredAsync();
        using var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        var response = await ExchangeAsync(agent, peer, new Check(agent.LocalUfrag + ":peer", 1853817087, Controlled: 1), Encoding.UTF8.GetBytes(agent.LocalPassword));

        var message = StunMessage.Parse(response);
        Assert.Equal(StunClass.SuccessResponse, message.Class);
        Assert.Equal(peer.Client.LocalEndPoint, message.XorMappedAddress);
        Assert.True(message.VerifyMessageIntegrity(Encoding.UTF8.GetBytes(agent.LocalPassword)));
        Assert.True(message.VerifyFingerprint());
    }

    [Fact]
    public async Task Request_WrongPassword_Unauthorized401AndCounted()
    {
        await using var agent = await GatheredAsync();
        using var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        var response = await ExchangeAsync(agent, peer, new Check(agent.LocalUfrag + ":peer", 1, Controlled: 1), "not-the-password"u8.ToArray());

        Assert.Equal((401, "Unauthorized"), StunMessage.Parse(response).Error);
        Assert.Equal(1, agent.Stats.StunRejected);
        Assert.Empty(agent.RemoteCandidates); // nothing learned from an unauthenticated check
    }

    [Fact]
    public async Task Request_WithoutIntegrity_BadRequest400()
    {
        await using var agent = await GatheredAsync();
        using var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        var response = await ExchangeAsync(agent, peer, new Check(agent.LocalUfrag + ":peer", 1, Controlled: 1), key: null);

        Assert.Equal(400, StunMessage.Parse(response).Error!.Value.Code);
    }

    [Fact]
    public async Task Request_UnknownComprehensionRequiredAttribute_420ListsIt()
    {
        await using var agent = await GatheredAsync();
        using var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        var response = await ExchangeAsync(agent, peer, new Check(agent.LocalUfrag + ":peer", 1, Controlled: 1,
            // 0xC057 is Chromium's GOOG-NETWORK-INFO: comprehension-optional, so it must not be listed.
            Extra: [(0x0777, [1, 2, 3, 4]), (0xC057, [0, 1, 0, 0])]), Encoding.UTF8.GetBytes(agent.LocalPassword));

        var message = StunMessage.Parse(response);
        Assert.Equal(420, message.Error!.Value.Code);
        Assert.Equal(new ushort[] { 0x0777 }, message.UnknownAttributes);
    }

    [Fact]
    public async Task Request_SameRoleWithHigherTieBreaker_RoleConflict487OrSwitch()
    {
        await using var agent = await GatheredAsync();
        agent.Start("peer", "peerpasswordpeerpassword");
        using var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        // Our tie-breaker 0 is never larger than the agent's: it keeps the controlling role and answers 487.
        var response = await ExchangeAsync(agent, peer, new Check(agent.LocalUfrag + ":peer", 1, 0), Encoding.UTF8.GetBytes(agent.LocalPassword));

        var message = StunMessage.Parse(response);
        Assert.Equal(Stun.RoleConflict, message.Error!.Value.Code);
        Assert.True(message.VerifyMessageIntegrity(Encoding.UTF8.GetBytes(agent.LocalPassword)));
        Assert.True(agent.IsControlling);

        // ulong.MaxValue is never smaller: the agent gives in, becomes controlled and answers with success.
        var yielded = await ExchangeAsync(agent, peer, new Check(agent.LocalUfrag + ":peer", 1, ulong.MaxValue), Encoding.UTF8.GetBytes(agent.LocalPassword));

        Assert.Equal(StunClass.SuccessResponse, StunMessage.Parse(yielded).Class);
        Assert.False(agent.IsControlling);
        Assert.Contains(agent.RemoteCandidates, c => c.Type == IceCandidateType.PeerReflexive && c.Port == ((IPEndPoint)peer.Client.LocalEndPoint!).Port);
    }

    private static async Task<IceAgent> GatheredAsync()
    {
        var agent = new IceAgent(AgentHarness.Fast(true) with { UseIPv6 = false });
        await agent.GatherAsync().WaitAsync(AgentHarness.Guard);
        return agent;
    }

    private static async Task<byte[]> ExchangeAsync(IceAgent agent, UdpClient peer, Check check, byte[]? key)
    {
        var host = agent.LocalCandidates[0];
        var buffer = new byte[512];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.Request, System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        writer.AddUsername(check.Username);
        if (check.Priority is { } priority)
        {
            writer.AddPriority(priority);
        }

        if (check.Controlling is { } tieBreaker)
        {
            writer.AddIceControlling(tieBreaker);
        }

        if (check.Controlled is { } controlledTieBreaker)
        {
            writer.AddIceControlled(controlledTieBreaker);
        }

        foreach (var (type, value) in check.Extra ?? [])
        {
            writer.AddAttribute(type, value);
        }

        if (key is not null)
        {
            writer.AddMessageIntegrity(key);
        }

        writer.AddFingerprint();
        var request = buffer.AsSpan(0, writer.Length).ToArray();
        await peer.SendAsync(request, new IPEndPoint(host.IPAddress!, host.Port));
        var received = await peer.ReceiveAsync().WaitAsync(AgentHarness.Guard);
        Assert.Equal(request.AsSpan(8, 12).ToArray(), received.Buffer.AsSpan(8, 12).ToArray()); // same transaction
        return received.Buffer;
    }

    /// <summary>A hand-made check; the agent under test is controlling, so a peer normally claims controlled.</summary>
    private sealed record Check(string Username, uint? Priority = null, ulong? Controlling = null, (ushort Type, byte[] Value)[]? Extra = null, ulong? Controlled = null);
}
