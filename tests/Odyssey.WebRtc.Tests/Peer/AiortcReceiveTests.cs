using Odyssey.Media;
using Odyssey.WebRtc.Dtls;
using Odyssey.WebRtc.Sdp;
using Xunit.Abstractions;

namespace Odyssey.WebRtc.Tests.Peer;

/// <summary>
/// aiortc 1.4 offers stamped video (and audio and a data channel); we answer, receive, decode with FFmpeg and
/// read every frame index back. Each runs in a fresh network namespace (see <see cref="NetworkNamespace"/>).
/// </summary>
public sealed class AiortcReceiveTests(ITestOutputHelper output)
{
    /// <summary>Two seconds of video at aiortc's 30 fps.</summary>
    internal const int FrameCount = 60;

    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // aiortc 1.4 starts its transports one after the other and waits on each: when the answer rejects its
    // first bundled m-line (audio), it waits on that m-line's ICE forever and never sends video. So audio
    // is offered only where we accept it (received and dropped).
    [Fact]
    public Task Aiortc_OffersH264_WeAnswerActiveAndReadEveryIndex() =>
        NetworkNamespace.RunAsync<AiortcReceiveTests>(nameof(Aiortc_OffersH264_WeAnswerActiveAndReadEveryIndex), output,
            () => ReceiveAsync("video/H264", VideoCodec.H264, DtlsRole.Client, audio: null));

    [Fact]
    public Task Aiortc_OffersVp8_WeAnswerPassiveDropAudioAndReadEveryIndex() =>
        NetworkNamespace.RunAsync<AiortcReceiveTests>(nameof(Aiortc_OffersVp8_WeAnswerPassiveDropAudioAndReadEveryIndex), output,
            () => ReceiveAsync("video/VP8", VideoCodec.Vp8, DtlsRole.Server, SdpUnsupportedMedia.ReceiveAndDrop));

    private async Task ReceiveAsync(string mime, VideoCodec codec, DtlsRole role, SdpUnsupportedMedia? audio)
    {
        var packets = new EncodedPacketPool();
        var frames = new VideoFramePool();
        using var aiortc = audio is null ? new PeerScript("offer", mime) : new PeerScript("offer", mime, "audio");
        try
        {
            var offer = (string)(await aiortc.WaitForAsync("offer", Timeout))["offer"]!;
            var connection = new PeerConnection(PeerConnectionTests.LoopbackOptions(packets) with { PreferredDtlsRole = role, UnsupportedMedia = audio ?? SdpUnsupportedMedia.Reject });
            await using (connection)
            {
                await connection.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Offer, offer));
                await connection.SetLocalDescriptionAsync(await connection.CreateAnswerAsync());
                await connection.WhenGatheringCompleteAsync().WaitAsync(Timeout);
                var answer = connection.LocalDescription!.Sdp;
                Assert.Contains(role == DtlsRole.Client ? "a=setup:active" : "a=setup:passive", answer, StringComparison.Ordinal);
                await aiortc.SendAsync(new { answer });
                await connection.WhenConnectedAsync().WaitAsync(Timeout);

                var track = connection.RemoteVideo!;
                Assert.Equal(codec, track.Codec);
                var seen = await DecodeIndicesAsync(track, frames, FrameCount, Timeout, () => connection.GetStats().ToString());
                var stats = connection.GetStats(); // before aiortc closes (its close_notify ends our connection)
                await aiortc.SendAsync(new { stop = true });
                var sent = (int)(await aiortc.WaitForAsync("sent", Timeout))["sent"]!;
                output.WriteLine($"aiortc sent {sent} frames; {stats.Inbound}; SRTP in {stats.SrtpInbound}; early datagrams {stats.DatagramsBeforeKeys}");
                Assert.Equal(PeerConnectionState.Connected, stats.State);
                Assert.True(stats.Inbound!.FramesReceived >= FrameCount, $"{stats.Inbound.FramesReceived} frames received");
                Assert.Equal(0, stats.SrtpInbound.AuthenticationFailures);
                Assert.Equal(0, stats.Inbound.FramesDropped);
                if (audio == SdpUnsupportedMedia.ReceiveAndDrop)
                {
                    Assert.True(stats.Inbound.Foreign > 0, "aiortc's audio packets should arrive and be dropped as foreign");
                }

                output.WriteLine($"indices read: {seen.Count} distinct, 0..{FrameCount - 1} all present");
            }

            Assert.Equal(0, packets.Outstanding);
            Assert.Equal(0, frames.Outstanding);
        }
        finally
        {
            output.WriteLine("aiortc transcript:\n" + aiortc.Transcript);
        }
    }

    /// <summary>Decodes the track until stamps 0..<paramref name="count"/>-1 have all been read; fails with the missing ones on timeout.</summary>
    internal static async Task<HashSet<int>> DecodeIndicesAsync(RemoteVideoTrack track, VideoFramePool frames, int count, TimeSpan timeout, Func<string> describe)
    {
        var (seen, corrupt) = await FrameStamp.DecodeUntilAsync(track, frames, s => HasAll(s, count), timeout);
        if (!HasAll(seen, count))
        {
            var missing = Enumerable.Range(0, count).Where(i => !seen.Contains(i));
            Assert.Fail($"indices never decoded within {timeout.TotalSeconds} s: {string.Join(',', missing)}; decoder corrupt {corrupt}; {describe()}");
        }

        return seen;
    }

    private static bool HasAll(HashSet<int> seen, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (!seen.Contains(i))
            {
                return false;
            }
        }

        return true;
    }
}
