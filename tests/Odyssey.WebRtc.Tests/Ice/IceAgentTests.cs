using System.Threading.Channels;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

/// <summary>Two of our agents on loopback: roles, trickle, peer-reflexive learning, role conflicts, consent.</summary>
public sealed class IceAgentTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Connect_OneControllingOneControlled_DatagramsFlowBothWays(bool aControls)
    {
        await using var harness = new AgentHarness(AgentHarness.Fast(aControls), AgentHarness.Fast(!aControls));
        harness.Wire();
        await harness.GatherAndStartAsync();

        await harness.ConnectAsync();

        Assert.Equal(aControls, harness.A.IsControlling);
        Assert.NotEqual(harness.A.IsControlling, harness.B.IsControlling);
        Assert.Equal(IceConnectionState.Checking, harness.StatesA.First());
        await AssertDatagramsFlowAsync(harness.A, harness.B);
        await AssertDatagramsFlowAsync(harness.B, harness.A);
        Assert.Equal(harness.A.SelectedPair!.Local.Port, harness.B.SelectedPair!.Remote.Port);
        Assert.Equal(harness.B.SelectedPair.Local.Port, harness.A.SelectedPair.Remote.Port);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Connect_BothClaimTheSameRole_ConflictResolvesToOneControllingSide(bool bothControlling)
    {
        await using var harness = new AgentHarness(AgentHarness.Fast(bothControlling), AgentHarness.Fast(bothControlling));
        harness.Wire();
        await harness.GatherAndStartAsync();

        await harness.ConnectAsync();

        Assert.NotEqual(harness.A.IsControlling, harness.B.IsControlling);
        await AssertDatagramsFlowAsync(harness.A, harness.B);
    }

    [Fact]
    public async Task Connect_CandidatesTrickledAfterStart_Connects()
    {
        await using var harness = new AgentHarness(AgentHarness.Fast(true), AgentHarness.Fast(false));
        using var timeout = new CancellationTokenSource(AgentHarness.Guard);
        await Task.WhenAll(harness.A.GatherAsync(timeout.Token), harness.B.GatherAsync(timeout.Token));
        harness.A.Start(harness.B.LocalUfrag, harness.B.LocalPassword);
        harness.B.Start(harness.A.LocalUfrag, harness.A.LocalPassword);
        await Task.Delay(50); // checking, with nothing to check yet
        Assert.Equal(IceConnectionState.Checking, harness.A.State);

        foreach (var candidate in harness.A.LocalCandidates)
        {
            harness.B.AddRemoteCandidate(candidate);
        }

        foreach (var candidate in harness.B.LocalCandidates)
        {
            harness.A.AddRemoteCandidate(candidate);
        }

        await harness.ConnectAsync();
        await AssertDatagramsFlowAsync(harness.A, harness.B);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Connect_OneSideGetsNoRemoteCandidates_LearnsPeerReflexiveAndConnects(bool silentSideControls)
    {
        // As Chromium does without a media permission: its offer has no candidates, its checks reach us.
        await using var harness = new AgentHarness(AgentHarness.Fast(silentSideControls), AgentHarness.Fast(!silentSideControls));
        harness.Wire(sendACandidatesToB: false);
        await harness.GatherAndStartAsync();

        await harness.ConnectAsync();

        Assert.Contains(harness.B.RemoteCandidates, c => c.Type == IceCandidateType.PeerReflexive);
        Assert.Equal(IceCandidateType.PeerReflexive, harness.B.SelectedPair!.Remote.Type);
        await AssertDatagramsFlowAsync(harness.B, harness.A);
    }

    [Fact]
    public async Task Connect_IPv6Only_ConnectsOverIPv6Loopback()
    {
        await using var harness = new AgentHarness(AgentHarness.Fast(true) with { UseIPv4 = false }, AgentHarness.Fast(false) with { UseIPv4 = false });
        harness.Wire();
        await harness.GatherAndStartAsync();

        await harness.ConnectAsync();

        Assert.Equal(System.Net.IPAddress.IPv6Loopback, harness.A.SelectedPair!.Local.IPAddress);
        await AssertDatagramsFlowAsync(harness.A, harness.B);
    }

    [Fact]
    public async Task Connect_RemoteCandidatesAddedBeforeGathering_PairedOnceSocketsExist()
    {
        await using var harness = new AgentHarness(AgentHarness.Fast(true), AgentHarness.Fast(false));
        using var timeout = new CancellationTokenSource(AgentHarness.Guard);
        await harness.B.GatherAsync(timeout.Token);
        foreach (var candidate in harness.B.LocalCandidates)
        {
            harness.A.AddRemoteCandidate(candidate); // A has no socket yet
        }

        await harness.A.GatherAsync(timeout.Token);
        harness.A.Start(harness.B.LocalUfrag, harness.B.LocalPassword);
        harness.B.Start(harness.A.LocalUfrag, harness.A.LocalPassword);

        await harness.ConnectAsync();
        await AssertDatagramsFlowAsync(harness.A, harness.B);
    }

    [Fact]
    public async Task Connect_ChecksArriveBeforeStart_AnsweredThenTriggeredOnStart()
    {
        await using var harness = new AgentHarness(AgentHarness.Fast(true), AgentHarness.Fast(false));
        harness.Wire(sendACandidatesToB: false);
        using var timeout = new CancellationTokenSource(AgentHarness.Guard);
        await Task.WhenAll(harness.A.GatherAsync(timeout.Token), harness.B.GatherAsync(timeout.Token));
        harness.A.Start(harness.B.LocalUfrag, harness.B.LocalPassword);
        while (harness.B.Stats.ChecksReceived == 0)
        {
            await Task.Delay(10, timeout.Token);
        }

        Assert.Equal(IceConnectionState.New, harness.B.State); // B answered without knowing A's password
        harness.B.Start(harness.A.LocalUfrag, harness.A.LocalPassword);

        await harness.ConnectAsync();
        Assert.Equal(IceCandidateType.PeerReflexive, harness.B.SelectedPair!.Remote.Type);
    }

    [Fact]
    public async Task Consent_PeerGoesSilent_DisconnectedThenFailed()
    {
        var quickConsent = AgentHarness.Fast(true) with
        {
            ConsentInterval = TimeSpan.FromMilliseconds(50),
            DisconnectedAfter = TimeSpan.FromMilliseconds(300),
            ConsentTimeout = TimeSpan.FromMilliseconds(900),
        };
        await using var harness = new AgentHarness(quickConsent, AgentHarness.Fast(false));
        harness.Wire();
        await harness.GatherAndStartAsync();
        await harness.ConnectAsync();
        var failed = AgentHarness.WaitForStateAsync(harness.A, IceConnectionState.Failed);

        await harness.B.DisposeAsync();
        await failed;

        var states = harness.StatesA.ToArray();
        Assert.Equal([IceConnectionState.Checking, IceConnectionState.Connected], states[..2]);
        Assert.Equal(IceConnectionState.Failed, states[^1]);
        Assert.Equal(IceConnectionState.Disconnected, states[^2]);
        Assert.True(harness.A.Stats.ConsentChecksSent > 0);
        var dropped = harness.A.Stats.DatagramsDropped;
        harness.A.Transport.Send([22, 1, 2]);
        Assert.Equal(dropped + 1, harness.A.Stats.DatagramsDropped); // RFC 7675: no data after consent expired
    }

    [Fact]
    public async Task Consent_PeerKeepsAnswering_StaysConnected()
    {
        var quickConsent = AgentHarness.Fast(true) with
        {
            ConsentInterval = TimeSpan.FromMilliseconds(30),
            DisconnectedAfter = TimeSpan.FromSeconds(5),
            ConsentTimeout = TimeSpan.FromSeconds(10),
        };
        await using var harness = new AgentHarness(quickConsent, AgentHarness.Fast(false));
        harness.Wire();
        await harness.GatherAndStartAsync();
        await harness.ConnectAsync();
        var sent = harness.A.Stats.ConsentChecksSent;

        // Wait until several consent checks have been answered.
        while (harness.A.Stats.ConsentChecksSent < sent + 5)
        {
            await Task.Delay(20).WaitAsync(AgentHarness.Guard);
        }

        Assert.DoesNotContain(IceConnectionState.Disconnected, harness.StatesA);
        Assert.True(harness.A.State is IceConnectionState.Connected or IceConnectionState.Completed);
    }

    [Fact]
    public async Task Connect_AllCandidatesExchanged_ReachesCompleted()
    {
        await using var harness = new AgentHarness(AgentHarness.Fast(true), AgentHarness.Fast(false));
        harness.Wire();
        await harness.GatherAndStartAsync();

        await AgentHarness.WaitForStateAsync(harness.A, IceConnectionState.Completed);

        Assert.Contains(IceConnectionState.Connected, harness.StatesA);
    }

    [Fact]
    public async Task Connect_PeerNeverAnswers_FailsAfterEndOfCandidates()
    {
        await using var agent = new IceAgent(AgentHarness.Fast(true) with { MaxRetransmissions = 2 });
        using var silent = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        await agent.GatherAsync().WaitAsync(AgentHarness.Guard);
        agent.Start("peer", "peerpasswordpeerpassword");
        agent.AddRemoteCandidate(IceCandidate.Parse($"candidate:1 1 udp 2130706431 127.0.0.1 {((System.Net.IPEndPoint)silent.Client.LocalEndPoint!).Port} typ host"));
        agent.AddRemoteEndOfCandidates();

        var error = await Assert.ThrowsAsync<IceFailedException>(() => agent.ConnectAsync().WaitAsync(AgentHarness.Guard));

        Assert.Contains("all 1 candidate pairs failed", error.Message, StringComparison.Ordinal);
        Assert.Equal(IceConnectionState.Failed, agent.State);
    }

    [Fact]
    public async Task Dispose_FromItsOwnFailedHandler_CompletesWithoutDeadlock()
    {
        var agent = new IceAgent(AgentHarness.Fast(true) with { MaxRetransmissions = 0 });
        using var silent = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var closed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.StateChanged += state =>
        {
            if (state == IceConnectionState.Failed)
            {
                // Blocking on purpose: the worst a subscriber can do. False would mean it waited for itself.
                closed.TrySetResult(agent.DisposeAsync().AsTask().Wait(AgentHarness.Guard));
            }
        };
        await agent.GatherAsync().WaitAsync(AgentHarness.Guard);
        agent.Start("peer", "peerpasswordpeerpassword");
        agent.AddRemoteCandidate(IceCandidate.Parse($"candidate:1 1 udp 2130706431 127.0.0.1 {((System.Net.IPEndPoint)silent.Client.LocalEndPoint!).Port} typ host"));
        agent.AddRemoteEndOfCandidates();

        Assert.True(await closed.Task.WaitAsync(AgentHarness.Guard * 2));

        Assert.Equal(IceConnectionState.Closed, agent.State);
        await agent.DisposeAsync(); // a second dispose is a no-op
    }

    [Fact]
    public async Task Transport_DatagramsOfEachKind_OnlyDtlsAndRtpAreDelivered()
    {
        await using var harness = new AgentHarness(AgentHarness.Fast(true), AgentHarness.Fast(false));
        harness.Wire();
        await harness.GatherAndStartAsync();
        await harness.ConnectAsync();
        var received = Channel.CreateUnbounded<byte>();
        harness.B.Transport.Received += d => received.Writer.TryWrite(d[0]);
        var droppedBefore = harness.B.Stats.DatagramsDropped;

        harness.A.Transport.Send([100, 0, 0, 0]); // RFC 7983: neither DTLS nor RTP
        harness.A.Transport.Send([22, 254, 253]); // DTLS handshake
        harness.A.Transport.Send([0x80, 96, 0, 1]); // RTP

        Assert.Equal(22, await received.Reader.ReadAsync().AsTask().WaitAsync(AgentHarness.Guard));
        Assert.Equal(0x80, await received.Reader.ReadAsync().AsTask().WaitAsync(AgentHarness.Guard));
        Assert.Equal(droppedBefore + 1, harness.B.Stats.DatagramsDropped);
    }

    [Fact]
    public async Task Transport_SendBeforeSelection_IsDroppedAndCounted()
    {
        await using var agent = new IceAgent(AgentHarness.Fast(true));

        agent.Transport.Send([22, 1]);

        Assert.Equal(1, agent.Stats.DatagramsDropped);
        Assert.Equal(IceConnectionState.New, agent.State);
    }

    [Fact]
    public async Task AddRemoteCandidate_TcpAndUnresolvableMdns_AreIgnoredAndCounted()
    {
        await using var agent = new IceAgent(AgentHarness.Fast(true));
        await agent.GatherAsync().WaitAsync(AgentHarness.Guard);

        agent.AddRemoteCandidate(IceCandidate.Parse("candidate:3 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active"));
        agent.AddRemoteCandidate(IceCandidate.Parse("candidate:1 1 udp 2122262783 0b7c4d2f-not-here.local 54321 typ host"));

        while (agent.Stats.RemoteCandidatesIgnored < 2)
        {
            await Task.Delay(10).WaitAsync(AgentHarness.Guard);
        }

        Assert.Empty(agent.RemoteCandidates);
    }

    [Fact]
    public async Task Gather_LoopbackOnly_HostCandidatesOnLoopbackThenComplete()
    {
        await using var agent = new IceAgent(AgentHarness.Fast(false));
        var complete = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.GatheringComplete += complete.SetResult;

        await agent.GatherAsync().WaitAsync(AgentHarness.Guard);
        await complete.Task.WaitAsync(AgentHarness.Guard);

        Assert.NotEmpty(agent.LocalCandidates);
        Assert.All(agent.LocalCandidates, c =>
        {
            Assert.Equal(IceCandidateType.Host, c.Type);
            Assert.True(System.Net.IPAddress.IsLoopback(c.IPAddress!));
        });
        Assert.InRange(agent.LocalUfrag.Length, 4, 256);
        Assert.InRange(agent.LocalPassword.Length, 22, 256);
    }

    private static async Task AssertDatagramsFlowAsync(IceAgent from, IceAgent to)
    {
        var received = Channel.CreateUnbounded<byte[]>();
        void Handler(ReadOnlySpan<byte> d) => received.Writer.TryWrite(d.ToArray());
        to.Transport.Received += Handler;
        try
        {
            byte[] payload = [23, 254, 253, 0, 1, 2, 3]; // shaped as a DTLS application-data record
            from.Transport.Send(payload);
            Assert.Equal(payload, await received.Reader.ReadAsync().AsTask().WaitAsync(AgentHarness.Guard));
        }
        finally
        {
            to.Transport.Received -= Handler;
        }
    }
}
