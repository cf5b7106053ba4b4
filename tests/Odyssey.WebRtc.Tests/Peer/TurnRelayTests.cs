using System.Collections.Concurrent;
using Odyssey.Media;
using Odyssey.Tests;
using Odyssey.WebRtc.Ice;
using Odyssey.WebRtc.Sdp;
using Odyssey.WebRtc.Tests.Ice;
using Xunit.Abstractions;
using Exchange = Odyssey.WebRtc.Tests.DataChannels.DataChannelExchange;

namespace Odyssey.WebRtc.Tests.Peer;

/// <summary>
/// The relay policy end to end, in a fresh network namespace: coturn on 127.0.0.1 with a static user, aiortc
/// (host candidates only) offers stamped video and the Odyssey data channels, and our PeerConnection answers
/// with <see cref="IceTransportPolicy.Relay"/>: it signals only a relay candidate, the selected pair is
/// relayed, every video frame index decodes and every message arrives in order both ways.
/// </summary>
public sealed class TurnRelayTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Enough to cross several SCTP windows and DTLS records through the relay, small enough to stay quick.</summary>
    private const int Small = 200;

    private const int Big = 3;

    private const int FrameCount = 30;

    [Fact]
    public Task RelayPolicy_AiortcOffersVideoAndChannels_RelayPairCarriesFramesAndMessages() =>
        NetworkNamespace.RunAsync<TurnRelayTests>(nameof(RelayPolicy_AiortcOffersVideoAndChannels_RelayPairCarriesFramesAndMessages), output, RunAsync);

    private async Task RunAsync()
    {
        using var turn = await TurnServerProcess.StartAsync();
        using var aiortc = PeerScript.DataChannels(Small, Big, "offer");
        var packets = new EncodedPacketPool();
        var frames = new VideoFramePool();
        try
        {
            var offer = (string)(await aiortc.WaitForAsync("offer", Timeout))["offer"]!;
            var loopback = PeerConnectionTests.LoopbackOptions(packets);
            var options = loopback with { Ice = loopback.Ice with { TurnServers = [turn.Server()], TransportPolicy = IceTransportPolicy.Relay } };
            var connection = new PeerConnection(options);
            await using (connection)
            {
                var channels = new ConcurrentDictionary<string, RtcDataChannel>();
                var receivers = new ConcurrentDictionary<string, Exchange.Receiver>();
                var announced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                connection.DataChannel += channel =>
                {
                    if (channel.Label == "streamerToClient")
                    {
                        receivers[channel.Label] = new Exchange.Receiver(channel, Small, Big);
                    }

                    channels[channel.Label] = channel;
                    if (channels.Count == 2)
                    {
                        announced.TrySetResult();
                    }
                };

                await connection.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Offer, offer));
                await connection.SetLocalDescriptionAsync(await connection.CreateAnswerAsync());
                await connection.WhenGatheringCompleteAsync().WaitAsync(Timeout);
                var answer = connection.LocalDescription!.Sdp;
                var ours = SessionDescription.Parse(answer).Media[0].Candidates.Select(IceCandidate.Parse).ToList();
                Assert.NotEmpty(ours);
                Assert.All(ours, c => Assert.Equal(IceCandidateType.Relay, c.Type)); // relay policy: no host address leaks
                await aiortc.SendAsync(new { answer });
                await connection.WhenConnectedAsync().WaitAsync(Timeout);

                var selected = connection.SelectedCandidatePair!;
                output.WriteLine($"selected pair: {selected.Local} -> {selected.Remote}");
                Assert.Equal(IceCandidateType.Relay, selected.Local.Type);
                Assert.Equal(IceCandidateType.Host, selected.Remote.Type);

                var seen = await AiortcReceiveTests.DecodeIndicesAsync(connection.RemoteVideo!, frames, FrameCount, Timeout, () => connection.GetStats().ToString());
                Assert.True(seen.Count >= FrameCount);

                await announced.Task.WaitAsync(Timeout);
                using var cancel = new CancellationTokenSource(Timeout);
                var upstream = channels["clientToStreamer"];
                await Task.WhenAll(Exchange.SendAsync(upstream, Small, Big, cancel.Token), receivers["streamerToClient"].Completed).WaitAsync(Timeout);
                var report = await aiortc.WaitForAsync("report", Timeout);
                output.WriteLine($"ours: {receivers["streamerToClient"]}; aiortc: {report.ToJsonString()}");
                Assert.Empty(receivers["streamerToClient"].Errors);
                var entry = report["report"]!["clientToStreamer"]!;
                Assert.Equal(Small, (int)entry["small"]!);
                Assert.Equal(Big, (int)entry["big"]!);
                Assert.Empty(entry["errors"]!.AsArray());

                Assert.Equal(IceCandidateType.Relay, connection.SelectedCandidatePair!.Local.Type); // still relayed at the end
                Assert.Empty(connection.TurnFailures);
                await aiortc.SendAsync(new { stop = true });
            }

            Assert.Equal(0, packets.Outstanding);
            Assert.Equal(0, frames.Outstanding);
        }
        finally
        {
            output.WriteLine("aiortc transcript:\n" + aiortc.Transcript);
            output.WriteLine("turnserver:\n" + turn.Transcript);
        }
    }
}
