using System.Net;
using Odyssey.Media;
using Odyssey.WebRtc.Ice;
using Odyssey.WebRtc.Sdp;
using Xunit.Abstractions;

namespace Odyssey.WebRtc.Tests.Peer;

/// <summary>
/// aiortc sends VP8 to us through <see cref="LossyRelay"/>, which drops 5 % of the RTP and swaps neighbours:
/// our NACKs (and PLIs when a frame is given up) repair it, the decoded stream keeps going, and the stats
/// count the loss and the repair. In a fresh network namespace.
/// </summary>
public sealed class AiortcLossTests(ITestOutputHelper output)
{
    /// <summary>Three seconds at 30 fps: enough packets that a 5 % loss happens several times.</summary>
    private const int Count = 90;

    /// <summary>The last frames counted must all decode: the stream did not stall after the losses.</summary>
    private const int Tail = 15;

    [Fact]
    public Task Aiortc_ThroughLossyReorderingRelay_NackRepairsAndStreamKeepsGoing() =>
        NetworkNamespace.RunAsync<AiortcLossTests>(nameof(Aiortc_ThroughLossyReorderingRelay_NackRepairsAndStreamKeepsGoing), output, RunAsync);

    private async Task RunAsync()
    {
        var timeout = AiortcReceiveTests.Timeout;
        var frames = new VideoFramePool();
        using var relay = new LossyRelay(dropRate: 0.05, reorderRate: 0.05, seed: 4);
        using var aiortc = new PeerScript("offer", "video/VP8");
        try
        {
            var offer = (string)(await aiortc.WaitForAsync("offer", timeout))["offer"]!;
            var transport = SessionDescription.Parse(offer).Media[0]; // BUNDLE's first mid: the transport
            var theirs = IceCandidate.Parse(transport.Candidates[0]);
            relay.RealA = new IPEndPoint(IPAddress.Loopback, theirs.Port);
            offer = offer.Replace($" 127.0.0.1 {theirs.Port} typ host", $" 127.0.0.1 {relay.PortForB} typ host", StringComparison.Ordinal);

            var connection = new PeerConnection(PeerConnectionTests.LoopbackOptions());
            await using (connection)
            {
                await connection.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Offer, offer));
                await connection.SetLocalDescriptionAsync(await connection.CreateAnswerAsync());
                await connection.WhenGatheringCompleteAsync().WaitAsync(timeout);
                var answer = connection.LocalDescription!.Sdp;
                var ours = IceCandidate.Parse(SessionDescription.Parse(answer).Media[0].Candidates[0]);
                relay.RealB = new IPEndPoint(IPAddress.Loopback, ours.Port);
                answer = answer.Replace($" 127.0.0.1 {ours.Port} typ host", $" 127.0.0.1 {relay.PortForA} typ host", StringComparison.Ordinal);
                await aiortc.SendAsync(new { answer });
                await connection.WhenConnectedAsync().WaitAsync(timeout);

                // Until index Count - 1 or later shows up: losses may cost a few frames before it.
                var (seen, _) = await FrameStamp.DecodeUntilAsync(connection.RemoteVideo!, frames, s => s.Any(i => i >= Count - 1 + Tail), timeout);
                var stats = connection.GetStats().Inbound!;
                await aiortc.SendAsync(new { stop = true });
                output.WriteLine($"relay dropped {relay.Dropped}, swapped {relay.Reordered}, forwarded {relay.Forwarded}; {stats}");
                output.WriteLine($"decoded {seen.Count(i => i < Count)} of indices 0..{Count - 1}; missing: {string.Join(',', Enumerable.Range(0, Count).Where(i => !seen.Contains(i)))}");

                Assert.True(relay.Dropped > 0 && relay.Reordered > 0, "the relay must have dropped and swapped packets");
                Assert.True(stats.NackPacketsSent > 0 && stats.NackedPackets > 0, "losses must be NACKed");
                Assert.True(stats.Retransmitted > 0 && stats.Recovered > 0, "aiortc's retransmissions must repair holes");
                for (var i = Count - Tail; i < Count; i++)
                {
                    Assert.True(seen.Contains(i), $"index {i} near the end was not decoded: the stream stalled");
                }

                // A frame whose packet stayed lost is given up; the PLI's keyframe round trip through aiortc
                // costs about half a second of delta frames. Counted from the first decoded frame: on a loaded
                // machine the very first keyframe can be given up before its repair arrives, and the 25-30
                // frames that then wait for the PLI's keyframe say nothing about NACK repair mid-stream.
                Assert.True(stats.FramesDropped == 0 || stats.PliSent > 0, "a given-up frame must cause a PLI");
                var first = seen.Where(i => i < Count).DefaultIfEmpty(Count).Min();
                var decoded = seen.Count(i => i >= first && i < Count);
                Assert.True(decoded >= (Count - first) * 2 / 3, $"only {decoded} of indices {first}..{Count - 1} decoded");
            }

            Assert.Equal(0, frames.Outstanding);
        }
        finally
        {
            output.WriteLine("aiortc transcript:\n" + aiortc.Transcript);
        }
    }
}
