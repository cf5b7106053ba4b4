using Odyssey.Media;
using Odyssey.WebRtc.Dtls;
using Odyssey.WebRtc.Ice;
using Odyssey.WebRtc.Sdp;
using Odyssey.WebRtc.Tests.Payloads;

namespace Odyssey.WebRtc.Tests.Peer;

/// <summary>Two of our own connections on loopback: offer/answer, both DTLS roles, frames end to end, a forged fingerprint.</summary>
public sealed class PeerConnectionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    internal static PeerConnectionOptions LoopbackOptions(EncodedPacketPool? pool = null) => new()
    {
        Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false },
        Dtls = new DtlsOptions { HandshakeTimeout = TimeSpan.FromSeconds(10) },
        PacketPool = pool,
    };

    /// <summary>Non-trickle signalling: each side sends its description once gathering is complete.</summary>
    internal static async Task NegotiateAsync(PeerConnection offerer, PeerConnection answerer, Func<string, string>? editAnswer = null)
    {
        await offerer.SetLocalDescriptionAsync(await offerer.CreateOfferAsync());
        await offerer.WhenGatheringCompleteAsync().WaitAsync(Timeout);
        await answerer.SetRemoteDescriptionAsync(offerer.LocalDescription!);
        await answerer.SetLocalDescriptionAsync(await answerer.CreateAnswerAsync());
        await answerer.WhenGatheringCompleteAsync().WaitAsync(Timeout);
        var answer = answerer.LocalDescription!;
        await offerer.SetRemoteDescriptionAsync(answer with { Sdp = editAnswer?.Invoke(answer.Sdp) ?? answer.Sdp });
    }

    [Theory]
    [InlineData(DtlsRole.Client)]
    [InlineData(DtlsRole.Server)]
    public async Task Loopback_OfferSendsAnswerReceives_EveryFrameArrivesWhole(DtlsRole answererRole)
    {
        var pool = new EncodedPacketPool();
        await using var offerer = new PeerConnection(LoopbackOptions() with { VideoCodecs = [SdpCodecCapability.Vp8] });
        await using var answerer = new PeerConnection(LoopbackOptions(pool) with { PreferredDtlsRole = answererRole });
        RemoteVideoTrack? announced = null;
        answerer.Track += track => announced = track;

        await NegotiateAsync(offerer, answerer);
        await Task.WhenAll(offerer.WhenConnectedAsync(), answerer.WhenConnectedAsync()).WaitAsync(Timeout);

        Assert.Equal(PeerConnectionState.Connected, answerer.ConnectionState);
        Assert.Same(answerer.RemoteVideo, announced);
        Assert.Equal(VideoCodec.Vp8, answerer.RemoteVideo!.Codec);
        Assert.Equal(VideoCodec.Vp8, offerer.LocalVideo!.Codec);
        Assert.Equal(offerer.LocalVideo.Ssrc, answerer.RemoteVideo.Ssrc);

        const int Frames = 30;
        var sent = new List<byte[]>();
        var sendPool = new EncodedPacketPool();
        for (var i = 0; i < Frames; i++)
        {
            var data = TestFrames.Vp8(i % 10 == 0 ? 5000 : 900, keyframe: i % 10 == 0, seed: i);
            sent.Add(data);
            var packet = sendPool.Rent(data.Length);
            data.CopyTo(packet.Data);
            packet.Codec = VideoCodec.Vp8;
            packet.Pts = TimeSpan.FromMilliseconds(33.3 * i);
            Assert.True(offerer.LocalVideo.SendFrame(packet));
            packet.Release();
        }

        using var cancel = new CancellationTokenSource(Timeout);
        for (var i = 0; i < Frames; i++)
        {
            var frame = await answerer.RemoteVideo.Frames.ReadAsync(cancel.Token);
            Assert.Equal(sent[i], frame.Data.ToArray());
            Assert.Equal(i % 10 == 0, frame.IsKeyframe);
            Assert.Equal(VideoCodec.Vp8, frame.Codec);
            Assert.Equal(i, frame.Index);
            frame.Release();
        }

        var stats = answerer.GetStats();
        Assert.Equal(Frames, stats.Inbound!.FramesReceived);
        Assert.Equal(0, stats.SrtpInbound.AuthenticationFailures);
        Assert.Equal(Frames, offerer.GetStats().Outbound!.FramesSent);
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(0, sendPool.Outstanding);
    }

    [Fact]
    public async Task Loopback_WhepRolesOfferReceivesAnswerSends_FramesArriveAtTheOfferer()
    {
        // WHEP: the player offers recvonly without data channels; the server answers sendonly.
        var pool = new EncodedPacketPool();
        await using var player = new PeerConnection(LoopbackOptions(pool) with { VideoDirection = SdpDirection.RecvOnly, DataChannels = false, VideoCodecs = [SdpCodecCapability.H264(H264Profile.ConstrainedBaseline), SdpCodecCapability.Vp8] });
        await using var server = new PeerConnection(LoopbackOptions() with { VideoDirection = SdpDirection.SendOnly, VideoCodecs = [SdpCodecCapability.Vp8] });
        RemoteVideoTrack? announced = null;
        player.Track += track => announced = track;

        await NegotiateAsync(player, server);
        await Task.WhenAll(player.WhenConnectedAsync(), server.WhenConnectedAsync()).WaitAsync(Timeout);

        Assert.Null(player.LocalVideo);
        Assert.Null(server.RemoteVideo);
        Assert.Same(player.RemoteVideo, announced);
        Assert.Equal(VideoCodec.Vp8, player.RemoteVideo!.Codec);
        Assert.Equal(server.LocalVideo!.Ssrc, player.RemoteVideo.Ssrc);
        Assert.Contains("a=recvonly", player.LocalDescription!.Sdp, StringComparison.Ordinal);
        Assert.Contains("a=sendonly", server.LocalDescription!.Sdp, StringComparison.Ordinal);

        const int Frames = 10;
        var sendPool = new EncodedPacketPool();
        for (var i = 0; i < Frames; i++)
        {
            var data = TestFrames.Vp8(i == 0 ? 5000 : 900, keyframe: i == 0, seed: i);
            var packet = sendPool.Rent(data.Length);
            data.CopyTo(packet.Data);
            packet.Codec = VideoCodec.Vp8;
            packet.Pts = TimeSpan.FromMilliseconds(33.3 * i);
            Assert.True(server.LocalVideo.SendFrame(packet));
            packet.Release();
        }

        using var cancel = new CancellationTokenSource(Timeout);
        for (var i = 0; i < Frames; i++)
        {
            var frame = await player.RemoteVideo.Frames.ReadAsync(cancel.Token);
            Assert.Equal(i, frame.Index);
            frame.Release();
        }

        Assert.Equal(0, sendPool.Outstanding);
    }

    [Fact]
    public async Task Loopback_AnswerWithForgedFingerprint_OffererFailsWithFingerprintMismatch()
    {
        await using var offerer = new PeerConnection(LoopbackOptions());
        await using var answerer = new PeerConnection(LoopbackOptions());
        var states = new List<PeerConnectionState>();
        offerer.ConnectionStateChanged += state =>
        {
            lock (states)
            {
                states.Add(state);
            }
        };

        var forged = DtlsCertificate.Generate().Fingerprint.ToString()["sha-256 ".Length..];
        var genuine = answerer.Certificate.Fingerprint.ToString()["sha-256 ".Length..];
        await NegotiateAsync(offerer, answerer, sdp => sdp.Replace(genuine, forged, StringComparison.Ordinal));

        var failure = await Assert.ThrowsAsync<PeerConnectionFailedException>(() => offerer.WhenConnectedAsync().WaitAsync(Timeout));
        Assert.Equal(PeerConnectionFailureStage.Dtls, failure.Stage);
        Assert.Equal(DtlsFailureReason.FingerprintMismatch, failure.DtlsReason);
        Assert.Equal(PeerConnectionState.Failed, offerer.ConnectionState);
        lock (states)
        {
            Assert.Equal(PeerConnectionState.Failed, states[^1]);
            Assert.DoesNotContain(PeerConnectionState.Connected, states);
        }
    }

    [Fact]
    public async Task Loopback_TamperedAndReplayedSrtp_RejectedCountedAndFramesIntact()
    {
        using var relay = new LossyRelay(dropRate: 0, reorderRate: 0, seed: 11, duplicateRate: 0.1, tamperRate: 0.1);
        await using var offerer = new PeerConnection(LoopbackOptions() with { VideoCodecs = [SdpCodecCapability.Vp8] });
        await using var answerer = new PeerConnection(LoopbackOptions());
        await offerer.SetLocalDescriptionAsync(await offerer.CreateOfferAsync());
        await offerer.WhenGatheringCompleteAsync().WaitAsync(Timeout);
        var offer = offerer.LocalDescription!;
        var offerPort = IceCandidate.Parse(SessionDescription.Parse(offer.Sdp).Media[0].Candidates[0]).Port;
        relay.RealA = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, offerPort);
        await answerer.SetRemoteDescriptionAsync(offer with { Sdp = offer.Sdp.Replace($" {offerPort} typ host", $" {relay.PortForB} typ host", StringComparison.Ordinal) });
        await answerer.SetLocalDescriptionAsync(await answerer.CreateAnswerAsync());
        await answerer.WhenGatheringCompleteAsync().WaitAsync(Timeout);
        var answer = answerer.LocalDescription!;
        var answerPort = IceCandidate.Parse(SessionDescription.Parse(answer.Sdp).Media[0].Candidates[0]).Port;
        relay.RealB = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, answerPort);
        await offerer.SetRemoteDescriptionAsync(answer with { Sdp = answer.Sdp.Replace($" {answerPort} typ host", $" {relay.PortForA} typ host", StringComparison.Ordinal) });
        await Task.WhenAll(offerer.WhenConnectedAsync(), answerer.WhenConnectedAsync()).WaitAsync(Timeout);

        const int Frames = 40;
        var pool = new EncodedPacketPool();
        using var cancel = new CancellationTokenSource(Timeout);
        for (var i = 0; i < Frames; i++)
        {
            var data = TestFrames.Vp8(i == 0 ? 6000 : 2500, keyframe: i == 0, seed: i);
            var packet = pool.Rent(data.Length);
            data.CopyTo(packet.Data);
            packet.Codec = VideoCodec.Vp8;
            packet.Pts = TimeSpan.FromMilliseconds(33.3 * i);
            Assert.True(offerer.LocalVideo!.SendFrame(packet));
            packet.Release();
            var frame = await answerer.RemoteVideo!.Frames.ReadAsync(cancel.Token);
            Assert.Equal(data, frame.Data.ToArray());
            frame.Release();
        }

        var srtp = answerer.GetStats().SrtpInbound;
        Assert.True(relay.Tampered > 0 && relay.Duplicated > 0, "the relay must have forged and replayed packets");
        Assert.Equal(relay.Tampered, srtp.AuthenticationFailures);
        Assert.Equal(relay.Duplicated, srtp.Replayed);
    }

    [Fact]
    public async Task Loopback_TrickledCandidatesOnly_Connects()
    {
        await using var offerer = new PeerConnection(LoopbackOptions());
        await using var answerer = new PeerConnection(LoopbackOptions());
        var toAnswerer = System.Threading.Channels.Channel.CreateUnbounded<RtcIceCandidate?>();
        var toOfferer = System.Threading.Channels.Channel.CreateUnbounded<RtcIceCandidate?>();
        offerer.LocalCandidate += c => toAnswerer.Writer.TryWrite(c);
        offerer.IceGatheringComplete += () => toAnswerer.Writer.TryWrite(null);
        answerer.LocalCandidate += c => toOfferer.Writer.TryWrite(c);
        answerer.IceGatheringComplete += () => toOfferer.Writer.TryWrite(null);

        // The descriptions go out at once, before any candidate is gathered: every candidate is trickled.
        var offer = await offerer.CreateOfferAsync();
        Assert.DoesNotContain("a=candidate", offer.Sdp, StringComparison.Ordinal);
        await offerer.SetLocalDescriptionAsync(offer);
        await answerer.SetRemoteDescriptionAsync(offer);
        var answer = await answerer.CreateAnswerAsync();
        await answerer.SetLocalDescriptionAsync(answer);
        await offerer.SetRemoteDescriptionAsync(answer);
        var forwarded = new[] { Forward(toAnswerer.Reader, answerer), Forward(toOfferer.Reader, offerer) };

        await Task.WhenAll(offerer.WhenConnectedAsync(), answerer.WhenConnectedAsync()).WaitAsync(Timeout);
        Assert.All(await Task.WhenAll(forwarded).WaitAsync(Timeout), count => Assert.True(count > 0));

        static async Task<int> Forward(System.Threading.Channels.ChannelReader<RtcIceCandidate?> reader, PeerConnection to)
        {
            var count = 0;
            await foreach (var candidate in reader.ReadAllAsync())
            {
                if (candidate is null)
                {
                    to.AddRemoteIceCandidate(string.Empty, null); // end-of-candidates
                    return count;
                }

                Assert.Equal("0", candidate.SdpMid);
                to.AddRemoteIceCandidate(candidate.Candidate, candidate.SdpMid);
                count++;
            }

            return count;
        }
    }

    [Fact]
    public async Task CreateAnswer_WithoutRemoteOffer_Throws()
    {
        await using var connection = new PeerConnection(LoopbackOptions());
        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.CreateAnswerAsync());
    }

    [Fact]
    public async Task SetRemoteDescription_Garbage_ThrowsSdpParseException()
    {
        await using var connection = new PeerConnection(LoopbackOptions());
        await Assert.ThrowsAsync<SdpParseException>(() => connection.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Offer, "v=0\r\nthis is not sdp\r\n")));
        Assert.Equal(PeerConnectionState.New, connection.ConnectionState);
    }
}
