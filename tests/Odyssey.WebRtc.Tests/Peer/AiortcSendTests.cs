using Odyssey.Media;
using Odyssey.Media.FFmpeg;
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

    private async Task SendAsync(SdpCodecCapability capability, VideoCodec codec)
    {
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
                await aiortc.SendAsync(new { offer = connection.LocalDescription!.Sdp });
                var answer = (string)(await aiortc.WaitForAsync("answer", timeout))["answer"]!;
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
                Assert.True(missing.Length == 0, $"aiortc never decoded: {string.Join(',', missing)}");
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
