using Microsoft.Extensions.Logging;
using Odyssey.Client.Tests.Fakes;
using Odyssey.Emulator;
using Odyssey.Tests;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;
using Xunit.Abstractions;

namespace Odyssey.Client.Tests;

/// <summary>
/// Issue 7's "TURN credentials honoured": the emulator's /config offers coturn (127.0.0.1, static user) with a
/// username and credential, and the client connects through it with the relay policy, in a fresh network
/// namespace; with a wrong credential the client still connects, on host candidates, and logs why naming the server.
/// </summary>
public sealed class TurnRelayEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);

    [Fact]
    public Task Connect_ConfigOffersTurn_SelectedPairIsRelayAndFramesArrive() =>
        NetworkNamespace.RunAsync<TurnRelayEndToEndTests>(nameof(Connect_ConfigOffersTurn_SelectedPairIsRelayAndFramesArrive), output,
            () => ConnectAsync(TurnServerProcess.Password, expectRelay: true));

    [Fact]
    public Task Connect_TurnCredentialRejected_FallsBackToHostAndLogsTheServer() =>
        NetworkNamespace.RunAsync<TurnRelayEndToEndTests>(nameof(Connect_TurnCredentialRejected_FallsBackToHostAndLogsTheServer), output,
            () => ConnectAsync("not-the-password", expectRelay: false));

    private async Task ConnectAsync(string credential, bool expectRelay)
    {
        using var turn = await TurnServerProcess.StartAsync();
        await using var emulator = await EmulatorServer.StartAsync(new EmulatorOptions
        {
            Width = 320,
            Height = 176,
            BitrateKbps = 300,
            IceServers = [turn.Url],
            IceServerUsername = TurnServerProcess.Username,
            IceServerCredential = credential,
        });
        using var logs = new CapturingLoggerFactory();
        await using var client = new OdysseyClient(new ClientConfig
        {
            ApiKey = emulator.ApiKey,
            ApiUrl = emulator.ApiUrl.ToString(),
            LoggerFactory = logs,
            Advanced = new AdvancedConfig
            {
                MaxRetries = 0,
                PeerConnection = new PeerConnectionOptions { Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false } },
            },
        });
        using var cancel = new CancellationTokenSource(Timeout);
        try
        {
            await client.ConnectAsync(new OdysseyEventHandlers(), cancel.Token);

            Assert.Equal(ConnectionStatus.Connected, client.Status);
            var pair = client.SelectedCandidatePair!;
            output.WriteLine($"selected pair: {pair.Local} -> {pair.Remote}");
            Assert.Equal(expectRelay ? IceCandidateType.Relay : IceCandidateType.Host, pair.Local.Type);

            await client.StartStreamAsync("through the relay", portrait: false, cancellationToken: cancel.Token);
            var frames = 0;
            await foreach (var frame in client.ReadFramesAsync(cancel.Token))
            {
                frame.Release();
                if (++frames == 10)
                {
                    break;
                }
            }

            Assert.Equal(10, frames);
            var warnings = logs.Lines.Where(l => l.Contains("connected without a relay", StringComparison.Ordinal)).ToList();
            if (expectRelay)
            {
                Assert.Empty(warnings);
            }
            else
            {
                var warning = Assert.Single(warnings);
                Assert.Contains($"TURN server {turn.Url}", warning, StringComparison.Ordinal);
                Assert.Contains("credentials were rejected", warning, StringComparison.Ordinal);
            }

            Assert.DoesNotContain(logs.Lines, l => l.Contains(credential, StringComparison.Ordinal));
            await client.EndStreamAsync(cancel.Token);
        }
        finally
        {
            foreach (var line in logs.Lines)
            {
                output.WriteLine(line);
            }
        }
    }
}
