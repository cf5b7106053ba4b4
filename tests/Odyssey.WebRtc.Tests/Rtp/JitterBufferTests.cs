using Odyssey.Media;
using Odyssey.WebRtc.Rtp;

namespace Odyssey.WebRtc.Tests.Rtp;

public class JitterBufferTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Theory]
    [InlineData(VideoCodec.Vp8)]
    [InlineData(VideoCodec.H264)]
    public void ShuffledAndDuplicatedPackets_AcrossSequenceWrap_GiveOriginalFrames(VideoCodec codec)
    {
        var stream = new RtpTestStream(codec, firstSequence: 65_400);
        var random = new Random(7);
        for (var i = 0; i < 30; i++)
        {
            stream.AddFrame(i % 10 == 0 ? random.Next(20_000, 40_000) : random.Next(1_000, 12_000), i % 10 == 0, i);
        }

        var all = stream.Packets.SelectMany(p => p).ToList();
        Assert.True(RtpTestStream.SequenceOf(all[^1]) < 1000, "the stream must cross the sequence wrap");
        var sent = new List<byte[]>();
        for (var block = 0; block < all.Count; block += 16)
        {
            var slice = all.Skip(block).Take(16).ToList();
            slice.AddRange(slice.Where((_, i) => i % 5 == 0).ToList());
            sent.AddRange(slice.OrderBy(_ => random.Next()));
        }

        var pool = new EncodedPacketPool();
        var receiver = RtpTestStream.CreateReceiver(codec, pool);
        var received = new List<(byte[] Data, bool Key, TimeSpan Pts, long Index)>();
        foreach (var packet in sent)
        {
            Assert.True(receiver.ReceiveRtp(packet, TimeSpan.Zero));
            while (receiver.TryGetFrame(TimeSpan.Zero, out var frame))
            {
                received.Add((frame.Data.ToArray(), frame.IsKeyframe, frame.Pts, frame.Index));
                Assert.Equal(codec, frame.Codec);
                frame.Release();
            }
        }

        Assert.Equal(stream.Frames.Count, received.Count);
        for (var i = 0; i < received.Count; i++)
        {
            Assert.Equal(stream.Frames[i], received[i].Data);
            Assert.Equal(i % 10 == 0, received[i].Key);
            Assert.Equal(TimeSpan.FromTicks(i * RtpTestStream.FrameTicks * TimeSpan.TicksPerSecond / 90_000), received[i].Pts);
            Assert.Equal(i, received[i].Index);
        }

        var stats = receiver.Stats;
        Assert.Equal(sent.Count - all.Count, stats.Buffer.Duplicates + stats.Buffer.Late);
        Assert.Equal(0, stats.Buffer.FramesDropped);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void DroppedPacket_IsNackedAndRtxCompletesTheFrame()
    {
        var stream = new RtpTestStream(VideoCodec.H264, 1000);
        stream.AddFrame(30_000, true, 1);
        var delta = stream.AddFrame(8_000, false, 2);
        var lost = delta[3];
        var pool = new EncodedPacketPool();
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.H264, pool);

        foreach (var packet in stream.Packets.SelectMany(p => p).Where(p => p != lost))
        {
            receiver.ReceiveRtp(packet, TimeSpan.Zero);
        }

        Assert.True(receiver.TryGetFrame(TimeSpan.Zero, out var key));
        key.Release();
        Assert.False(receiver.TryGetFrame(TimeSpan.Zero, out _));

        var rtcp = new byte[1500];
        var length = receiver.WriteRtcp(rtcp, 20 * Ms, includeReport: false);
        Assert.Equal(new[] { RtpTestStream.SequenceOf(lost) }, NackedIn(rtcp.AsSpan(0, length)));

        Assert.True(receiver.ReceiveRtp(stream.Rtx(lost), 30 * Ms));
        Assert.True(receiver.TryGetFrame(30 * Ms, out var completed));
        Assert.Equal(stream.Frames[1], completed.Data.ToArray());
        completed.Release();

        var stats = receiver.Stats;
        Assert.Equal(1, stats.Buffer.Recovered);
        Assert.Equal(1, stats.Buffer.Retransmitted);
        Assert.Equal(1, stats.Buffer.NackedPackets);
        Assert.Equal(1, stats.NackPacketsSent);
        Assert.Equal(0, stats.CumulativeLost);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void MissingPacketBeyondRetries_DropsFrameSkipsDeltasAndRequestsKeyframe()
    {
        var stream = new RtpTestStream(VideoCodec.Vp8, 500);
        stream.AddFrame(20_000, true, 1);
        var broken = stream.AddFrame(6_000, false, 2);
        stream.AddFrame(6_000, false, 3);
        var lost = broken[1];
        var pool = new EncodedPacketPool();
        var options = new JitterBufferOptions { MaxNackRetries = 2, NackRetryInterval = 100 * Ms, MaxLatency = TimeSpan.FromSeconds(10) };
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.Vp8, pool, options);
        var frames = new List<EncodedPacket>();

        foreach (var packet in stream.Packets.SelectMany(p => p).Where(p => p != lost))
        {
            receiver.ReceiveRtp(packet, TimeSpan.Zero);
        }

        Drain(receiver, TimeSpan.Zero, frames);
        Assert.Single(frames);
        var rtcp = new byte[1500];
        var nacks = new List<ushort>();
        var plis = 0;
        for (var t = 10; t <= 410; t += 50)
        {
            var length = receiver.WriteRtcp(rtcp, t * Ms, includeReport: false);
            nacks.AddRange(NackedIn(rtcp.AsSpan(0, length)));
            plis += ContainsPli(rtcp.AsSpan(0, length)) ? 1 : 0;
            Drain(receiver, t * Ms, frames);
        }

        Assert.Equal(new[] { RtpTestStream.SequenceOf(lost), RtpTestStream.SequenceOf(lost) }, nacks);
        Assert.Single(frames);
        var stats = receiver.Stats;
        Assert.Equal(1, stats.Buffer.FramesDropped);
        Assert.Equal(1, stats.Buffer.FramesDiscarded);
        Assert.True(receiver.Buffer.IsWaitingForKeyframe);
        Assert.Equal(1, plis);
        Assert.Equal(1, receiver.Stats.PictureLossIndicationsSent);

        // The sender answers the PLI with a keyframe: decoding resumes.
        foreach (var packet in stream.AddFrame(20_000, true, 4))
        {
            receiver.ReceiveRtp(packet, 450 * Ms);
        }

        Drain(receiver, 450 * Ms, frames);
        Assert.Equal(2, frames.Count);
        Assert.Equal(stream.Frames[3], frames[1].Data.ToArray());
        Assert.False(receiver.Buffer.IsWaitingForKeyframe);
        frames.ForEach(f => f.Release());
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void IncompleteFrame_BurstFarAheadInMediaTime_WaitsForItsRetransmission()
    {
        // Packets that queued while the receive thread waited for a core arrive together: 8 frames × 33 ms past
        // the broken one at the same instant. Its repair must still get its chance.
        var (stream, broken) = BurstBehindBrokenFrame();
        var pool = new EncodedPacketPool();
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.H264, pool);
        var frames = new List<EncodedPacket>();
        foreach (var packet in stream.Packets.SelectMany(p => p).Where(p => p != broken))
        {
            receiver.ReceiveRtp(packet, TimeSpan.Zero);
            Drain(receiver, TimeSpan.Zero, frames);
        }

        Assert.Single(frames);
        receiver.ReceiveRtp(broken, 50 * Ms);
        Drain(receiver, 50 * Ms, frames);

        Assert.Equal(10, frames.Count);
        Assert.Equal(0, receiver.Stats.Buffer.FramesDropped);
        frames.ForEach(f => f.Release());
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void IncompleteFrame_WaitedLongerThanLatency_IsDroppedWithoutWaitingForRetries()
    {
        var (stream, broken) = BurstBehindBrokenFrame();
        var pool = new EncodedPacketPool();
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.H264, pool);
        var frames = new List<EncodedPacket>();
        foreach (var packet in stream.Packets.SelectMany(p => p).Where(p => p != broken))
        {
            receiver.ReceiveRtp(packet, TimeSpan.Zero);
            Drain(receiver, TimeSpan.Zero, frames);
        }

        Drain(receiver, 201 * Ms, frames); // past the 200 ms default, retries or not

        Assert.Single(frames);
        Assert.Equal(1, receiver.Stats.Buffer.FramesDropped);
        Assert.True(receiver.Stats.Buffer.FramesDiscarded >= 1);
        Assert.True(receiver.Buffer.TakeKeyframeRequest(201 * Ms));
        Assert.False(receiver.Buffer.TakeKeyframeRequest(300 * Ms));
        frames.ForEach(f => f.Release());
        Assert.Equal(0, pool.Outstanding);
    }

    // A keyframe, a delta frame missing its third packet, then 8 more delta frames.
    private static (RtpTestStream Stream, byte[] Broken) BurstBehindBrokenFrame()
    {
        var stream = new RtpTestStream(VideoCodec.H264, 65_530);
        stream.AddFrame(10_000, true, 1);
        var broken = stream.AddFrame(5_000, false, 2);
        for (var i = 0; i < 8; i++)
        {
            stream.AddFrame(3_000, false, 3 + i);
        }

        return (stream, broken[2]);
    }

    [Fact]
    public void DecoderKeyframeRequest_SendsPliRateLimited()
    {
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.Vp8, new EncodedPacketPool());
        var rtcp = new byte[1500];
        Assert.Equal(0, receiver.WriteRtcp(rtcp, TimeSpan.Zero, includeReport: false));

        receiver.RequestKeyframe();
        Assert.True(ContainsPli(rtcp.AsSpan(0, receiver.WriteRtcp(rtcp, TimeSpan.Zero, includeReport: false))));
        Assert.Equal(0, receiver.WriteRtcp(rtcp, 100 * Ms, includeReport: false));
        Assert.True(ContainsPli(rtcp.AsSpan(0, receiver.WriteRtcp(rtcp, 600 * Ms, includeReport: false))));
        Assert.Equal(2, receiver.Stats.PictureLossIndicationsSent);
    }

    [Fact]
    public void LatePacketAfterFrameEmitted_IsCountedLate()
    {
        var stream = new RtpTestStream(VideoCodec.Vp8, 10);
        var packets = stream.AddFrame(3_000, true, 1);
        var pool = new EncodedPacketPool();
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.Vp8, pool);
        foreach (var packet in packets)
        {
            receiver.ReceiveRtp(packet, TimeSpan.Zero);
        }

        Assert.True(receiver.TryGetFrame(TimeSpan.Zero, out var frame));
        frame.Release();
        receiver.ReceiveRtp(packets[0], TimeSpan.Zero);
        Assert.Equal(1, receiver.Stats.Buffer.Late);
    }

    [Fact]
    public void SteadyState_ReceivePath_AllocatesNothing()
    {
        var stream = new RtpTestStream(VideoCodec.H264, 0);
        for (var i = 0; i < 40; i++)
        {
            stream.AddFrame(i == 0 ? 30_000 : 8_000, i == 0, i);
        }

        var pool = new EncodedPacketPool();
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.H264, pool);
        var frames = 0;
        long allocated = 0;
        for (var f = 0; f < stream.Packets.Count; f++)
        {
            if (f == 20)
            {
                allocated = GC.GetAllocatedBytesForCurrentThread();
            }

            foreach (var packet in stream.Packets[f])
            {
                receiver.ReceiveRtp(packet, TimeSpan.Zero);
                while (receiver.TryGetFrame(TimeSpan.Zero, out var frame))
                {
                    frames++;
                    frame.Release();
                }
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - allocated);
        Assert.Equal(40, frames);
    }

    [Fact]
    public void StreamJoinedOnDeltaFrame_DiscardsUntilKeyframeAndAsksForOne()
    {
        var stream = new RtpTestStream(VideoCodec.Vp8, 100);
        stream.AddFrame(4_000, false, 1);
        stream.AddFrame(4_000, false, 2);
        stream.AddFrame(9_000, true, 3);
        var pool = new EncodedPacketPool();
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.Vp8, pool);
        var frames = new List<EncodedPacket>();

        foreach (var packet in stream.Packets[0].Concat(stream.Packets[1]))
        {
            receiver.ReceiveRtp(packet, TimeSpan.Zero);
        }

        Drain(receiver, TimeSpan.Zero, frames);
        Assert.Empty(frames);
        Assert.Equal(2, receiver.Stats.Buffer.FramesDiscarded);
        Assert.True(receiver.Buffer.TakeKeyframeRequest(TimeSpan.Zero));

        foreach (var packet in stream.Packets[2])
        {
            receiver.ReceiveRtp(packet, TimeSpan.Zero);
        }

        Drain(receiver, TimeSpan.Zero, frames);
        Assert.Equal(stream.Frames[2], Assert.Single(frames).Data.ToArray());
        frames[0].Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void MarkerBitMissing_NextTimestampClosesTheFrame()
    {
        var stream = new RtpTestStream(VideoCodec.Vp8, 100);
        var key = stream.AddFrame(4_000, true, 1);
        var delta = stream.AddFrame(2_000, false, 2);
        var unmarked = (byte[])key[^1].Clone();
        unmarked[1] &= 0x7F;
        var pool = new EncodedPacketPool();
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.Vp8, pool);
        var frames = new List<EncodedPacket>();

        foreach (var packet in key.Take(key.Count - 1).Append(unmarked))
        {
            receiver.ReceiveRtp(packet, TimeSpan.Zero);
        }

        Drain(receiver, TimeSpan.Zero, frames);
        Assert.Empty(frames);
        receiver.ReceiveRtp(delta[0], TimeSpan.Zero);
        Drain(receiver, TimeSpan.Zero, frames);

        Assert.Equal(stream.Frames[0], Assert.Single(frames).Data.ToArray());
        frames[0].Release();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FirstOrLastPacketOfFrameLost_WaitsForItsRetransmission(bool first)
    {
        var stream = new RtpTestStream(VideoCodec.H264, 65_534);
        stream.AddFrame(6_000, true, 1);
        var delta = stream.AddFrame(4_000, false, 2);
        stream.AddFrame(4_000, false, 3);
        var lost = first ? delta[0] : delta[^1];
        var pool = new EncodedPacketPool();
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.H264, pool);
        var frames = new List<EncodedPacket>();

        foreach (var packet in stream.Packets.SelectMany(p => p).Where(p => p != lost))
        {
            receiver.ReceiveRtp(packet, TimeSpan.Zero);
        }

        Drain(receiver, TimeSpan.Zero, frames);
        Assert.Single(frames);
        var rtcp = new byte[1500];
        Assert.Equal(new[] { RtpTestStream.SequenceOf(lost) }, NackedIn(rtcp.AsSpan(0, receiver.WriteRtcp(rtcp, 10 * Ms, includeReport: false))));

        receiver.ReceiveRtp(stream.Rtx(lost), 20 * Ms);
        Drain(receiver, 20 * Ms, frames);

        Assert.Equal(stream.Frames, frames.Select(f => f.Data.ToArray()));
        frames.ForEach(f => f.Release());
        Assert.Equal(0, receiver.Stats.Buffer.FramesDropped);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void PaddingOnlyPacketsBetweenFrames_AreSkippedWithoutLoss()
    {
        var stream = new RtpTestStream(VideoCodec.Vp8, 65_535);
        var key = stream.AddFrame(3_000, true, 1);
        var delta = stream.AddFrame(2_000, false, 2);
        var pool = new EncodedPacketPool();
        var receiver = RtpTestStream.CreateReceiver(VideoCodec.Vp8, pool);
        var frames = new List<EncodedPacket>();

        // Renumber the delta frame two places on, and send two padding-only probes in between.
        var lastKey = RtpPacket.Parse(key[^1]);
        var probes = new List<byte[]>();
        for (var i = 1; i <= 2; i++)
        {
            var buffer = new byte[64];
            var writer = new RtpPacketWriter(buffer, RtpTestStream.PayloadType, (ushort)(lastKey.SequenceNumber + i), lastKey.Timestamp, RtpTestStream.MediaSsrc, marker: false);
            probes.Add(buffer.AsSpan(0, writer.Complete(0, paddingLength: 32)).ToArray());
        }

        var shifted = delta.Select(p =>
        {
            var copy = (byte[])p.Clone();
            var sequence = (ushort)(RtpTestStream.SequenceOf(p) + 2);
            copy[2] = (byte)(sequence >> 8);
            copy[3] = (byte)sequence;
            return copy;
        });

        foreach (var packet in key.Concat([probes[1]]).Concat(shifted).Concat([probes[0]]))
        {
            receiver.ReceiveRtp(packet, TimeSpan.Zero);
            Drain(receiver, TimeSpan.Zero, frames);
        }

        Assert.Equal(stream.Frames, frames.Select(f => f.Data.ToArray()));
        Assert.Equal(0, receiver.Stats.Buffer.FramesDropped);
        Assert.Equal(0, receiver.Stats.CumulativeLost);
        frames.ForEach(f => f.Release());
    }

    private static void Drain(RtpReceiveStream receiver, TimeSpan now, List<EncodedPacket> frames)
    {
        while (receiver.TryGetFrame(now, out var frame))
        {
            frames.Add(frame);
        }
    }

    private static ushort[] NackedIn(ReadOnlySpan<byte> compound)
    {
        var result = new List<ushort>();
        var reader = new RtcpCompoundReader(compound);
        while (reader.TryReadNext(out var packet))
        {
            if (RtcpFeedback.TryRead(packet, out var feedback, out _) && feedback.Kind == RtcpFeedbackKind.GenericNack)
            {
                Assert.Equal(RtpTestStream.MediaSsrc, feedback.MediaSsrc);
                var lost = feedback.GetLostSequenceNumbers();
                while (lost.MoveNext(out var sequence))
                {
                    result.Add(sequence);
                }
            }
        }

        Assert.Equal(RtpError.None, reader.Error);
        return [.. result];
    }

    private static bool ContainsPli(ReadOnlySpan<byte> compound)
    {
        var reader = new RtcpCompoundReader(compound);
        while (reader.TryReadNext(out var packet))
        {
            if (RtcpFeedback.TryRead(packet, out var feedback, out _) && feedback.Kind == RtcpFeedbackKind.PictureLossIndication)
            {
                return feedback.MediaSsrc == RtpTestStream.MediaSsrc;
            }
        }

        return false;
    }
}
