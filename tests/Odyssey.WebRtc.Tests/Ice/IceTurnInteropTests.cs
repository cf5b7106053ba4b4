using System.Threading.Channels;
using Odyssey.Tests;
using Odyssey.WebRtc.Ice;
using Xunit.Abstractions;

namespace Odyssey.WebRtc.Tests.Ice;

/// <summary>
/// Our ICE agent's relay candidates against coturn, in a fresh network namespace: a relay-only agent
/// connects to a host-only one through the allocation and datagrams flow both ways; wrong credentials
/// fail the relay-only agent at once with the server named.
/// </summary>
public sealed class IceTurnInteropTests(ITestOutputHelper output)
{
    [Fact]
    public Task RelayOnlyAgent_ThroughCoturn_SelectsRelayPairAndCarriesDatagramsBothWays() =>
        NetworkNamespace.RunAsync<IceTurnInteropTests>(nameof(RelayOnlyAgent_ThroughCoturn_SelectsRelayPairAndCarriesDatagramsBothWays), output, async () =>
        {
            using var turn = await TurnServerProcess.StartAsync();
            try
            {
                var relayOnly = AgentHarness.Fast(controlling: true) with { TurnServers = [turn.Server()], TransportPolicy = IceTransportPolicy.Relay };
                await using var harness = new AgentHarness(relayOnly, AgentHarness.Fast(controlling: false));
                harness.Wire();
                await harness.GatherAndStartAsync();

                var gathered = harness.A.LocalCandidates;
                Assert.Single(gathered);
                Assert.Equal(IceCandidateType.Relay, gathered[0].Type);
                Assert.Equal(0u, gathered[0].Priority >> 24); // RFC 8445 §5.1.2.2: relay type preference 0

                await harness.ConnectAsync();

                Assert.Equal(IceCandidateType.Relay, harness.A.SelectedPair!.Local.Type);
                Assert.Equal(gathered[0].Port, harness.B.SelectedPair!.Remote.Port); // B sees the relayed address, never A's own
                for (var i = 0; i < 3; i++)
                {
                    await AssertDatagramFlowsAsync(harness.A, harness.B, (byte)i);
                    await AssertDatagramFlowsAsync(harness.B, harness.A, (byte)i);
                }

                Assert.Empty(harness.A.TurnFailures);
            }
            finally
            {
                output.WriteLine("turnserver:\n" + turn.Transcript);
            }
        });

    [Fact]
    public Task RelayOnlyAgent_WrongTurnPassword_FailsNamingTheServer() =>
        NetworkNamespace.RunAsync<IceTurnInteropTests>(nameof(RelayOnlyAgent_WrongTurnPassword_FailsNamingTheServer), output, async () =>
        {
            using var turn = await TurnServerProcess.StartAsync();
            var options = AgentHarness.Fast(controlling: true) with { TurnServers = [turn.Server(password: "wrong")], TransportPolicy = IceTransportPolicy.Relay };
            await using var agent = new IceAgent(options);

            using var timeout = new CancellationTokenSource(AgentHarness.Guard);
            await agent.GatherAsync(timeout.Token);

            Assert.Empty(agent.LocalCandidates);
            Assert.Equal(IceConnectionState.Failed, agent.State);
            var failure = await Assert.ThrowsAsync<IceFailedException>(() => agent.ConnectAsync(timeout.Token));
            Assert.Contains(turn.Url, failure.Message, StringComparison.Ordinal);
            Assert.Contains("credentials were rejected", failure.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("wrong", failure.Message, StringComparison.Ordinal);
        });

    [Fact]
    public Task RelayWithFallback_WrongTurnPassword_ConnectsOnHostCandidatesAndReportsTheServer() =>
        NetworkNamespace.RunAsync<IceTurnInteropTests>(nameof(RelayWithFallback_WrongTurnPassword_ConnectsOnHostCandidatesAndReportsTheServer), output, async () =>
        {
            using var turn = await TurnServerProcess.StartAsync();
            var options = AgentHarness.Fast(controlling: true) with
            {
                TurnServers = [turn.Server(password: "wrong")],
                TransportPolicy = IceTransportPolicy.Relay,
                RelayFallback = true,
            };
            await using var harness = new AgentHarness(options, AgentHarness.Fast(controlling: false));
            harness.Wire();
            await harness.GatherAndStartAsync();

            await harness.ConnectAsync();

            Assert.Equal(IceCandidateType.Host, harness.A.SelectedPair!.Local.Type);
            await AssertDatagramFlowsAsync(harness.A, harness.B, 7);
            var failure = Assert.Single(harness.A.TurnFailures);
            Assert.Contains(turn.Url, failure, StringComparison.Ordinal);
            Assert.Contains("credentials were rejected", failure, StringComparison.Ordinal);
        });

    private static async Task AssertDatagramFlowsAsync(IceAgent from, IceAgent to, byte tag)
    {
        var received = Channel.CreateUnbounded<byte[]>();
        void Handler(ReadOnlySpan<byte> d) => received.Writer.TryWrite(d.ToArray());
        to.Transport.Received += Handler;
        try
        {
            byte[] payload = [23, 254, 253, tag, 1, 2, 3]; // shaped as a DTLS application-data record
            from.Transport.Send(payload);
            Assert.Equal(payload, await received.Reader.ReadAsync().AsTask().WaitAsync(AgentHarness.Guard));
        }
        finally
        {
            to.Transport.Received -= Handler;
        }
    }
}
