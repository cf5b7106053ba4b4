using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Odyssey.WebRtc.Ice;
using Odyssey.WebRtc.Sdp;
using Odyssey.WebRtc.Tests.DataChannels;
using Xunit.Abstractions;
using Exchange = Odyssey.WebRtc.Tests.DataChannels.DataChannelExchange;

namespace Odyssey.WebRtc.Tests.Peer;

/// <summary>
/// Data channels with aiortc 1.4 (aiortc_datachannel_peer.py), each in a fresh network namespace: the
/// Odyssey channels (the streamer sends on streamerToClient, the client on clientToStreamer) carry 1,000
/// strings and 20 messages of 200 KiB each way, in order and intact, beside video; through a lossy relay
/// the reliable channels still lose nothing while a maxRetransmits 0 channel loses and says so.
/// </summary>
public sealed class AiortcDataChannelTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public Task Aiortc_OffersOdysseyChannelsAndVideo_WeAnswer_EveryMessageArrivesInOrder() =>
        NetworkNamespace.RunAsync<AiortcDataChannelTests>(nameof(Aiortc_OffersOdysseyChannelsAndVideo_WeAnswer_EveryMessageArrivesInOrder), output,
            () => AnswerAiortcAsync(relay: null));

    [Fact]
    public Task Aiortc_Answers_WeOfferTheChannels_EveryMessageArrivesInOrder() =>
        NetworkNamespace.RunAsync<AiortcDataChannelTests>(nameof(Aiortc_Answers_WeOfferTheChannels_EveryMessageArrivesInOrder), output, OfferToAiortcAsync);

    [Fact]
    public Task Aiortc_ThroughLossyRelay_ReliableLosesNothingAndMaxRetransmitsZeroReportsLoss() =>
        NetworkNamespace.RunAsync<AiortcDataChannelTests>(nameof(Aiortc_ThroughLossyRelay_ReliableLosesNothingAndMaxRetransmitsZeroReportsLoss), output,
            async () =>
            {
                using var relay = new LossyRelay(dropRate: 0.05, reorderRate: 0.05, seed: 5, dropDtlsData: true);
                await AnswerAiortcAsync(relay);
                output.WriteLine($"relay dropped {relay.Dropped}, swapped {relay.Reordered}, forwarded {relay.Forwarded}");
                Assert.True(relay.Dropped > 0 && relay.Reordered > 0, "the relay must have dropped and swapped packets");
            });

    private async Task AnswerAiortcAsync(LossyRelay? relay)
    {
        // Through loss, fewer large messages from aiortc: see LossyBigFromAiortc.
        var big = relay is null ? Exchange.Big : LossyBig;
        var theirBig = relay is null ? Exchange.Big : LossyBigFromAiortc;
        using var aiortc = relay is null ? PeerScript.DataChannels("offer") : PeerScript.DataChannels("offer", "lossy", $"big={LossyBig}", $"sendbig={LossyBigFromAiortc}");
        try
        {
            var offer = (string)(await aiortc.WaitForAsync("offer", Timeout))["offer"]!;
            if (relay is not null)
            {
                var theirs = IceCandidate.Parse(SessionDescription.Parse(offer).Media[0].Candidates[0]);
                relay.RealA = new IPEndPoint(IPAddress.Loopback, theirs.Port);
                offer = offer.Replace($" 127.0.0.1 {theirs.Port} typ host", $" 127.0.0.1 {relay.PortForB} typ host", StringComparison.Ordinal);
            }

            var connection = new PeerConnection(PeerConnectionTests.LoopbackOptions());
            await using (connection)
            {
                var channels = new ConcurrentDictionary<string, RtcDataChannel>();
                var receivers = new ConcurrentDictionary<string, Exchange.Receiver>();
                var lossyReceived = 0;
                var expected = relay is null ? 2 : 3;
                var allAnnounced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                connection.DataChannel += channel =>
                {
                    channels[channel.Label] = channel;
                    if (channels.Count == expected)
                    {
                        allAnnounced.TrySetResult();
                    }

                    if (channel.Label == "streamerToClient")
                    {
                        receivers[channel.Label] = new Exchange.Receiver(channel, Exchange.Small, theirBig);
                    }
                    else if (channel.Label == "lossy")
                    {
                        channel.Message += (_, _) => Interlocked.Increment(ref lossyReceived);
                    }
                };

                await connection.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Offer, offer));
                Assert.Equal(262144, connection.SctpMaxMessageSize); // aiortc's widened a=max-message-size, capped by ours
                await connection.SetLocalDescriptionAsync(await connection.CreateAnswerAsync());
                await connection.WhenGatheringCompleteAsync().WaitAsync(Timeout);
                var answer = connection.LocalDescription!.Sdp;
                Assert.Contains("a=max-message-size:262144", answer, StringComparison.Ordinal);
                if (relay is not null)
                {
                    var ours = IceCandidate.Parse(SessionDescription.Parse(answer).Media[0].Candidates[0]);
                    relay.RealB = new IPEndPoint(IPAddress.Loopback, ours.Port);
                    answer = answer.Replace($" 127.0.0.1 {ours.Port} typ host", $" 127.0.0.1 {relay.PortForA} typ host", StringComparison.Ordinal);
                }

                await aiortc.SendAsync(new { answer });
                await connection.WhenConnectedAsync().WaitAsync(Timeout);

                using var cancel = new CancellationTokenSource(Timeout * 2); // after WithDiagnosisAsync has said what stalled
                await allAnnounced.Task.WaitAsync(Timeout);

                var upstream = channels["clientToStreamer"];
                Assert.Equal(RtcDataChannelState.Open, upstream.ReadyState);
                Assert.True(upstream.Id % 2 == 1, "aiortc is the DTLS server here: its ids are odd"); // we answered active
                var sending = Exchange.SendAsync(upstream, Exchange.Small, big, cancel.Token);
                Task lossySending = Task.CompletedTask;
                RtcDataChannel? lossy = null;
                if (relay is not null)
                {
                    lossy = channels["lossy"];
                    Assert.False(lossy.Init.Ordered);
                    Assert.Equal(0, lossy.Init.MaxRetransmits);
                    lossySending = SendLossyAsync(lossy, cancel.Token);
                }

                await WithDiagnosisAsync(Task.WhenAll(sending, lossySending, receivers["streamerToClient"].Completed), () => $"{receivers["streamerToClient"]}; sending {sending.Status}; buffered {upstream.BufferedAmount}, lossy {lossy?.BufferedAmount}; SCTP {connection.Sctp?.State} {connection.Sctp?.AbortReason} {connection.Sctp?.Stats}");
                var report = await ReportAsync(aiortc, () => $"our upstream buffered {upstream.BufferedAmount}; SCTP {connection.Sctp?.State} {connection.Sctp?.Stats}");
                output.WriteLine($"ours: {receivers["streamerToClient"]}; aiortc: {report.ToJsonString()}");
                Assert.Empty(receivers["streamerToClient"].Errors);
                AssertAiortcReceivedAll(report, "clientToStreamer", big);
                var stats = connection.GetStats();
                Assert.True(stats.Inbound!.FramesReceived > 0, "aiortc's video must flow beside the channels");

                if (lossy is not null)
                {
                    var aiortcLossy = report["report"]!["lossy"]!;
                    var theyGot = (int)aiortcLossy["small"]!;
                    output.WriteLine($"lossy: we sent {LossyCount}, aiortc got {theyGot}, we abandoned {lossy.MessagesAbandoned}; aiortc sent {LossyCount}, we got {lossyReceived}");
                    Assert.True(lossy.MessagesAbandoned > 0 || theyGot < LossyCount || lossyReceived < LossyCount, "a maxRetransmits 0 channel through 5 % loss must lose something and say so");
                }

                await aiortc.SendAsync(new { stop = true });
            }
        }
        finally
        {
            output.WriteLine("aiortc transcript:\n" + aiortc.Transcript);
        }
    }

    private const int LossyCount = 300;

    /// <summary>200 KiB messages we send through 5 % loss: as many as without loss.</summary>
    private const int LossyBig = 20;

    /// <summary>
    /// 200 KiB messages aiortc sends us through 5 % loss. Two aiortc sender faults show here: a lost FORWARD-TSN
    /// it never repeats (our receiver now skips that hole, SctpAssociationStallTests) and, after any T3, resending
    /// gap-acked chunks into a flight size that never shrinks again (docs/decisions.md). The second one no
    /// receiver can undo: with 20 messages aiortc → us crawled to a timeout in about one run in eight (our
    /// DuplicateTsns in the thousands), so aiortc sends fewer; the exposure grows with the volume.
    /// </summary>
    private const int LossyBigFromAiortc = 2;

    private static async Task SendLossyAsync(RtcDataChannel lossy, CancellationToken token)
    {
        var text = new string('x', 1000);
        for (var i = 0; i < LossyCount; i++)
        {
            await lossy.SendAsync(text, token);
            await Exchange.WaitForRoomAsync(lossy, token);
        }
    }

    private async Task OfferToAiortcAsync()
    {
        using var aiortc = PeerScript.DataChannels("answer");
        try
        {
            var connection = new PeerConnection(PeerConnectionTests.LoopbackOptions());
            var upstream = connection.CreateDataChannel("clientToStreamer");
            var downstream = connection.CreateDataChannel("streamerToClient");
            await using (connection)
            {
                var receiver = new Exchange.Receiver(upstream);
                await connection.SetLocalDescriptionAsync(await connection.CreateOfferAsync());
                await connection.WhenGatheringCompleteAsync().WaitAsync(Timeout);
                var offer = connection.LocalDescription!.Sdp;
                Assert.Contains("m=application", offer, StringComparison.Ordinal);
                Assert.Contains("a=max-message-size:262144", offer, StringComparison.Ordinal);
                await aiortc.SendAsync(new { offer });
                var answer = (string)(await aiortc.WaitForAsync("answer", Timeout))["answer"]!;
                await connection.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Answer, answer));
                await connection.WhenConnectedAsync().WaitAsync(Timeout);
                await Task.WhenAll(upstream.WhenOpenAsync(), downstream.WhenOpenAsync()).WaitAsync(Timeout);
                Assert.True(upstream.Id % 2 == 1 && downstream.Id % 2 == 1, "aiortc answered active: we are the DTLS server, odd ids (RFC 8832 §6)");

                // Here we play the streamer: we send on streamerToClient and aiortc on clientToStreamer.
                using var cancel = new CancellationTokenSource(Timeout);
                await Task.WhenAll(Exchange.SendAsync(downstream, Exchange.Small, Exchange.Big, cancel.Token), receiver.Completed).WaitAsync(Timeout);
                var report = await aiortc.WaitForAsync("report", Timeout);
                output.WriteLine($"ours: {receiver}; aiortc: {report.ToJsonString()}");
                Assert.Empty(receiver.Errors);
                AssertAiortcReceivedAll(report, "streamerToClient", Exchange.Big);

                upstream.Close();
                await WhenClosedAsync(upstream).WaitAsync(Timeout);
                await aiortc.SendAsync(new { stop = true });
            }

            Assert.Equal(RtcDataChannelState.Closed, downstream.ReadyState); // closed with the connection
        }
        finally
        {
            output.WriteLine("aiortc transcript:\n" + aiortc.Transcript);
        }
    }

    /// <summary>Waits with <see cref="Timeout"/>; on timeout fails saying what was reached.</summary>
    internal static async Task WithDiagnosisAsync(Task task, Func<string> describe)
    {
        try
        {
            await task.WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"not done within {Timeout.TotalSeconds} s: {describe()}");
        }
    }

    /// <summary>aiortc's report once it has everything; on timeout, its partial report (asked with stop) and ours in the failure.</summary>
    private static async Task<JsonNode> ReportAsync(PeerScript aiortc, Func<string> describe)
    {
        try
        {
            return await aiortc.WaitForAsync("report", Timeout);
        }
        catch (TimeoutException)
        {
            await aiortc.SendAsync(new { stop = true });
            var partial = await aiortc.WaitForAsync("report", TimeSpan.FromSeconds(10));
            Assert.Fail($"aiortc did not receive everything within {Timeout.TotalSeconds} s: {partial.ToJsonString()}; {describe()}");
            throw;
        }
    }

    internal static Task WhenClosedAsync(RtcDataChannel channel)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Closed += _ => closed.TrySetResult();
        if (channel.ReadyState == RtcDataChannelState.Closed)
        {
            closed.TrySetResult();
        }

        return closed.Task;
    }

    private static void AssertAiortcReceivedAll(JsonNode report, string label, int big)
    {
        var entry = report["report"]![label]!;
        Assert.Equal(Exchange.Small, (int)entry["small"]!);
        Assert.Equal(big, (int)entry["big"]!);
        Assert.Empty(entry["errors"]!.AsArray());
    }
}
