using System.Net;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;
using Odyssey.WebRtc.Ice;
using Odyssey.WebRtc.Sdp;
using Xunit.Abstractions;

namespace Odyssey.WebRtc.Tests.Peer;

/// <summary>
/// We offer and send stamped frames encoded by FFmpeg; aiortc 1.4 answers (it takes DTLS active, so we are
/// the DTLS server), receives, decodes, reads the stamps and reports them. In a fresh network namespace.
/// </summary>
public sealed class AiortcSendTests(ITestOutputHelper output)
{
    private const int Width = 320;
    private const int Height = 240;

    /// <summary>Frames sent after the counted ones, so whatever the encoder or the network holds back still comes out.</summary>
    private const int TailFrames = 30;

    private static readonly TimeSpan FrameInterval = TimeSpan.FromSeconds(1.0 / 30);

    [Fact]
    public Task Aiortc_AnswersOurH264Offer_DecodesEveryIndex() =>
        NetworkNamespace.RunAsync<AiortcSendTests>(nameof(Aiortc_AnswersOurH264Offer_DecodesEveryIndex), output,
            () => SendAsync(SdpCodecCapability.H264(H264Profile.ConstrainedBaseline), VideoCodec.H264));

    [Fact]
    public Task Aiortc_AnswersOurVp8Offer_DecodesEveryIndex() =>
        NetworkNamespace.RunAsync<AiortcSendTests>(nameof(Aiortc_AnswersOurVp8Offer_DecodesEveryIndex), output,
            () => SendAsync(SdpCodecCapability.Vp8, VideoCodec.Vp8));

    /// <summary>Through <see cref="LossyRelay"/> (5 % of RTP dropped, neighbours swapped): our history answers aiortc's NACKs.</summary>
    [Fact]
    public Task Aiortc_ThroughLossyRelay_OurRetransmissionsRepairAndItDecodesOn() =>
        NetworkNamespace.RunAsync<AiortcSendTests>(nameof(Aiortc_ThroughLossyRelay_OurRetransmissionsRepairAndItDecodesOn), output,
            () => SendAsync(SdpCodecCapability.Vp8, VideoCodec.Vp8, lossy: true));

    private async Task SendAsync(SdpCodecCapability capability, VideoCodec codec, bool lossy = false)
    {
        using var relay = lossy ? new LossyRelay(dropRate: 0.05, reorderRate: 0.05, seed: 7) : null;
        const int Count = AiortcReceiveTests.FrameCount;
        var timeout = AiortcReceiveTests.Timeout;
        var packets = new EncodedPacketPool();
        var frames = new VideoFramePool();
        using var aiortc = new PeerScript("answer", Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            var connection = new PeerConnection(PeerConnectionTests.LoopbackOptions() with { VideoCodecs = [capability] });
            await using (connection)
            {
                await connection.SetLocalDescriptionAsync(await connection.CreateOfferAsync());
                await connection.WhenGatheringCompleteAsync().WaitAsync(timeout);
                var offer = connection.LocalDescription!.Sdp;
                if (relay is not null)
                {
                    var ours = IceCandidate.Parse(SessionDescription.Parse(offer).Media[0].Candidates[0]);
                    relay.RealB = new IPEndPoint(IPAddress.Loopback, ours.Port);
                    offer = offer.Replace($" 127.0.0.1 {ours.Port} typ host", $" 127.0.0.1 {relay.PortForA} typ host", StringComparison.Ordinal);
                }

                await aiortc.SendAsync(new { offer });
                var answer = (string)(await aiortc.WaitForAsync("answer", timeout))["answer"]!;
                if (relay is not null)
                {
                    var theirs = IceCandidate.Parse(SessionDescription.Parse(answer).Media[0].Candidates[0]);
                    relay.RealA = new IPEndPoint(IPAddress.Loopback, theirs.Port);
                    answer = answer.Replace($" 127.0.0.1 {theirs.Port} typ host", $" 127.0.0.1 {relay.PortForB} typ host", StringComparison.Ordinal);
                }

                Assert.Contains("a=setup:active", answer, StringComparison.Ordinal);
                await connection.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Answer, answer));
                await connection.WhenConnectedAsync().WaitAsync(timeout);

                var track = connection.LocalVideo!;
                Assert.Equal(codec, track.Codec);
                var keyframeRequests = 0;
                using (var encoder = new VideoEncoder(new VideoEncoderSettings(codec, Width, Height) { Fps = 30, KeyframeInterval = 300 }, packets))
                {
                    track.KeyframeRequested += (_, _) =>
                    {
                        Interlocked.Increment(ref keyframeRequests);
                        encoder.RequestKeyframe();
                    };
                    var received = aiortc.WaitForAsync("received", timeout);
                    for (var i = 0; i < Count + TailFrames && !received.IsCompleted; i++)
                    {
                        var frame = frames.Rent(Width, Height, PixelFormat.I420);
                        FrameStamp.Draw(frame, i, i);
                        frame.Pts = FrameInterval * i;
                        encoder.Send(frame);
                        frame.Release();
                        while (encoder.TryReceive(out var packet))
                        {
                            Assert.True(track.SendFrame(packet));
                            packet.Release();
                        }

                        await Task.Delay(FrameInterval);
                    }
                }

                var stats = connection.GetStats();
                if (!aiortc.TryGet("received", out var report))
                {
                    await aiortc.SendAsync(new { stop = true });
                    report = await aiortc.WaitForAsync("received", timeout);
                }

                var indices = report["received"]!.AsArray().Select(n => (int)n!).ToHashSet();
                output.WriteLine($"{stats.Outbound}; keyframe requests {keyframeRequests}; aiortc decoded {indices.Count} stamps");
                var missing = Enumerable.Range(0, Count).Where(i => !indices.Contains(i)).ToArray();
                if (relay is null)
                {
                    Assert.True(missing.Length == 0, $"aiortc never decoded: {string.Join(',', missing)}");
                }
                else
                {
                    output.WriteLine($"relay dropped {relay.Dropped}, swapped {relay.Reordered}; aiortc missed {string.Join(',', missing)}");
                    Assert.True(relay.Dropped > 0, "the relay must have dropped packets");
                    Assert.True(stats.Outbound!.NacksReceived > 0 && stats.Outbound.Retransmissions > 0, "aiortc's NACKs must be answered from our history");
                    Assert.True(missing.Length <= Count / 3, $"aiortc missed {missing.Length} of {Count}");
                    Assert.True(Enumerable.Range(Count - 10, 10).All(indices.Contains), "the last indices must decode: the stream kept going");
                }
                Assert.Equal(0, stats.SrtpOutbound.Rejected);
                Assert.True(stats.Outbound!.PacketsSent > Count);
                await aiortc.SendAsync(new { stop = true });
            }

            Assert.Equal(0, packets.Outstanding);
            Assert.Equal(0, frames.Outstanding);
        }
        finally
        {
            output.WriteLine("aiortc transcript:\n" + aiortc.Transcript);
        }
    }
}
