using Odyssey.Media;
using Odyssey.WebRtc.Payloads;
using Odyssey.WebRtc.Rtp;
using Odyssey.WebRtc.Tests.Payloads;

namespace Odyssey.WebRtc.Tests.Rtp;

public class RtpSendStreamTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    private static RtpSendStreamOptions Options(VideoCodec codec, long pacing = 0) => new()
    {
        Ssrc = RtpTestStream.MediaSsrc,
        PayloadType = RtpTestStream.PayloadType,
        RtxSsrc = RtpTestStream.RtxSsrc,
        RtxPayloadType = RtpTestStream.RtxPayloadType,
        Codec = codec,
        InitialSequenceNumber = 65_530,
        InitialTimestamp = 1000,
        MidExtensionId = 1,
        Mid = "0",
        PacingBitsPerSecond = pacing,
    };

    [Fact]
    public void SendFrame_Unpaced_SendsMarkedPacketsWithMidThatReassemble()
    {
        var sent = new List<byte[]>();
        var sender = new RtpSendStream(Options(VideoCodec.Vp8), packet => sent.Add(packet.ToArray()));
        var frame = TestFrames.Vp8(30_000, true, 1);
        var pool = new EncodedPacketPool();
        var encoded = pool.Rent(frame.Length);
        frame.CopyTo(encoded.Data);
        encoded.Pts = TimeSpan.FromSeconds(1);

        sender.SendFrame(encoded, TimeSpan.Zero);
        encoded.Release();

        var depacketizer = RtpDepacketizer.Create(VideoCodec.Vp8);
        depacketizer.Begin();
        for (var i = 0; i < sent.Count; i++)
        {
            var packet = RtpPacket.Parse(sent[i]);
            Assert.Equal(i == sent.Count - 1, packet.Marker);
            Assert.Equal(1000u + 90_000u, packet.Timestamp);
            Assert.Equal((ushort)(65_530 + i), packet.SequenceNumber);
            Assert.True(packet.TryGetExtension(1, out var mid));
            Assert.Equal("0"u8.ToArray(), mid.ToArray());
            Assert.True(depacketizer.TryAppend(packet.Payload, i == 0, out _));
        }

        Assert.True(depacketizer.TryFinish(pool, out var output, out _));
        Assert.Equal(frame, output.Data.ToArray());
        output.Release();
        Assert.Equal(sent.Count, sender.Stats.PacketsSent);
        Assert.Equal(frame.Length + (4 * sent.Count), sender.Stats.PayloadBytesSent); // 4-byte VP8 descriptors
    }

    [Fact]
    public void LossyLink_NackAnsweredByRtx_ReceiverGetsEveryFrame()
    {
        var pool = new EncodedPacketPool();
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.H264, pool);
        var now = TimeSpan.Zero;
        var counter = 0;
        var dropped = 0;
        var sender = new RtpSendStream(Options(VideoCodec.H264), packet =>
        {
            // Every 7th packet of the original stream is lost; retransmissions always arrive.
            if (RtpPacket.Parse(packet).Ssrc == RtpTestStream.MediaSsrc && ++counter % 7 == 0)
            {
                dropped++;
                return;
            }

            receiver.ReceiveRtp(packet, now);
        });

        var frames = new List<byte[]>();
        var received = new List<byte[]>();
        var rtcp = new byte[1500];
        for (var i = 0; i < 20; i++)
        {
            now = i * 33 * Ms;
            var frame = TestFrames.H264(i == 0 ? 30_000 : 6_000, i == 0, i);
            frames.Add(frame);
            sender.SendFrame(frame, (uint)(i * 3000), now);

            now += 10 * Ms;
            var length = receiver.WriteRtcp(rtcp, now, includeReport: true);
            sender.ReceiveRtcp(rtcp.AsSpan(0, length), now);
            while (receiver.TryGetFrame(now, out var output))
            {
                received.Add(output.Data.ToArray());
                output.Release();
            }
        }

        Assert.True(dropped > 5);
        Assert.Equal(frames, received);
        Assert.Equal(dropped, sender.Stats.Retransmissions);
        Assert.Equal(dropped, receiver.Stats.Buffer.Recovered);
        Assert.Equal(0, receiver.Stats.Buffer.FramesDropped);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void RepeatedNackWithinInterval_RetransmitsOnce()
    {
        var sent = new List<byte[]>();
        var sender = new RtpSendStream(Options(VideoCodec.Vp8), packet => sent.Add(packet.ToArray()));
        sender.SendFrame(TestFrames.Vp8(5_000, true, 1), 0, TimeSpan.Zero);
        var original = sent[2];
        sent.Clear();
        var nack = new byte[100];
        var length = RtcpWriter.WriteNack(nack, 9, RtpTestStream.MediaSsrc, [RtpTestStream.SequenceOf(original)]);

        sender.ReceiveRtcp(nack.AsSpan(0, length), 20 * Ms);
        sender.ReceiveRtcp(nack.AsSpan(0, length), 25 * Ms);
        sender.ReceiveRtcp(nack.AsSpan(0, length), 40 * Ms);

        Assert.Equal(2, sent.Count);
        var rtx = RtpPacket.Parse(sent[0]);
        Assert.Equal(RtpTestStream.RtxSsrc, rtx.Ssrc);
        Assert.Equal(RtpTestStream.RtxPayloadType, rtx.PayloadType);
        Assert.Equal(RtpTestStream.SequenceOf(original), (ushort)((rtx.Payload[0] << 8) | rtx.Payload[1]));
        Assert.Equal(RtpPacket.Parse(original).Payload.ToArray(), rtx.Payload[2..].ToArray());
        Assert.Equal(3, sender.Stats.NacksReceived);
    }

    [Fact]
    public void PliAndFir_RaiseKeyframeRequested_RepeatedFirOnce()
    {
        var sender = new RtpSendStream(Options(VideoCodec.Vp8), _ => { });
        var requests = 0;
        sender.KeyframeRequested += (_, _) => requests++;
        var buffer = new byte[100];

        sender.ReceiveRtcp(buffer.AsSpan(0, RtcpWriter.WritePictureLossIndication(buffer, 9, RtpTestStream.MediaSsrc)), TimeSpan.Zero);
        sender.ReceiveRtcp(buffer.AsSpan(0, RtcpWriter.WritePictureLossIndication(buffer, 9, 0xBAD)), TimeSpan.Zero);
        var fir = RtcpWriter.WriteFullIntraRequest(buffer, 9, RtpTestStream.MediaSsrc, 4);
        sender.ReceiveRtcp(buffer.AsSpan(0, fir), TimeSpan.Zero);
        sender.ReceiveRtcp(buffer.AsSpan(0, fir), TimeSpan.Zero);

        Assert.Equal(2, requests);
        Assert.Equal(1, sender.Stats.PictureLossIndicationsReceived);
        Assert.Equal(1, sender.Stats.FullIntraRequestsReceived);
    }

    [Fact]
    public void SenderReportThenReceiverReport_GiveRoundTripTime()
    {
        var pool = new EncodedPacketPool();
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.Vp8, pool);
        var sender = new RtpSendStream(Options(VideoCodec.Vp8), packet => receiver.ReceiveRtp(packet, TimeSpan.FromSeconds(1)));
        sender.SendFrame(TestFrames.Vp8(3_000, true, 1), 90_000, TimeSpan.FromSeconds(1));
        var buffer = new byte[1500];

        var srLength = sender.WriteSenderReport(buffer, new DateTime(2026, 11, 26, 12, 0, 0, DateTimeKind.Utc), TimeSpan.FromSeconds(1.5));
        var reader = new RtcpCompoundReader(buffer.AsSpan(0, srLength));
        Assert.True(reader.TryReadNext(out var packet));
        Assert.True(RtcpSenderReport.TryRead(packet, out var sr, out _));
        Assert.Equal(90_000u + 45_000u, sr.RtpTimestamp); // extrapolated 0.5 s past the last frame
        Assert.Equal(3u, sr.PacketCount);

        // The receiver gets the SR 20 ms later and answers 50 ms after that; the RR arrives 20 ms later.
        receiver.ReceiveRtcp(buffer.AsSpan(0, srLength), TimeSpan.FromSeconds(1.52));
        var rrLength = receiver.WriteRtcp(buffer, TimeSpan.FromSeconds(1.57), includeReport: true);
        sender.ReceiveRtcp(buffer.AsSpan(0, rrLength), TimeSpan.FromSeconds(1.59));

        var rtt = sender.Stats.RoundTripTime;
        Assert.NotNull(rtt);
        Assert.InRange(rtt.Value.TotalMilliseconds, 39.9, 40.1);
    }

    [Fact]
    public void Pacer_LargeKeyframe_IsSpreadOverTime()
    {
        var sent = 0;
        var sender = new RtpSendStream(Options(VideoCodec.Vp8, pacing: 1_000_000) with { PacingBurstBytes = 6_000 }, _ => sent++);

        sender.SendFrame(TestFrames.Vp8(60_000, true, 1), 0, TimeSpan.Zero);
        var first = sent;
        var next = sender.NextSendTime(TimeSpan.Zero);

        Assert.InRange(first, 4, 6); // the 6 000-byte burst: five ~1 220-byte packets
        Assert.NotNull(next);
        Assert.True(next > TimeSpan.Zero);
        sender.Flush(TimeSpan.FromMilliseconds(100)); // 12 500 bytes refilled, capped at the burst
        Assert.InRange(sent - first, 4, 6);
        for (var t = 100; t <= 600 && sender.QueuedPackets > 0; t += 10)
        {
            sender.Flush(t * Ms);
        }

        Assert.Equal(0, sender.QueuedPackets);
        Assert.Null(sender.NextSendTime(TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    public void SteadyState_SendAndRetransmit_AllocatesNothing(VideoCodec codec)
    {
        long bytes = 0;
        var sender = new RtpSendStream(Options(codec), packet => bytes += packet.Length);
        var key = codec == VideoCodec.Vp8 ? TestFrames.Vp8(40_000, true, 1) : TestFrames.H264(40_000, true, 1);
        var delta = codec == VideoCodec.Vp8 ? TestFrames.Vp8(10_000, false, 2) : TestFrames.H264(10_000, false, 2);
        var nack = new byte[64];
        var nackLength = RtcpWriter.WriteNack(nack, 9, RtpTestStream.MediaSsrc, [65_531, 65_532]);
        sender.SendFrame(key, 0, TimeSpan.Zero);
        sender.SendFrame(delta, 3000, TimeSpan.Zero);
        sender.ReceiveRtcp(nack.AsSpan(0, nackLength), TimeSpan.Zero);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            sender.SendFrame(i % 10 == 0 ? key : delta, (uint)(i * 3000), TimeSpan.FromMilliseconds(i * 33));
        }

        sender.ReceiveRtcp(nack.AsSpan(0, nackLength), TimeSpan.FromSeconds(1));

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(bytes > 2 * key.Length + (18 * delta.Length));
        Assert.Equal(4, sender.Stats.Retransmissions); // both NACKs answered: the packets are still in the history
    }

    [Fact]
    public void Pacer_BudgetRefillsAtRate()
    {
        var pacer = new Pacer(bytesPerSecond: 10_000, burstBytes: 2_000);
        Assert.True(pacer.TryConsume(1_500, TimeSpan.Zero));
        Assert.False(pacer.TryConsume(1_000, TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromMilliseconds(50), pacer.TimeUntilAvailable(1_000, TimeSpan.Zero));
        Assert.True(pacer.TryConsume(1_000, TimeSpan.FromMilliseconds(50)));
        Assert.True(pacer.TryConsume(2_000, TimeSpan.FromSeconds(10)));
        Assert.False(pacer.TryConsume(1, TimeSpan.FromSeconds(10)));
    }
}
