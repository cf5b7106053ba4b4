using CsCheck;
using Odyssey.Media;
using Odyssey.WebRtc.Rtp;

namespace Odyssey.WebRtc.Tests.Rtp;

public class ReceivePathPropertyTests
{
    [Theory]
    [InlineData(VideoCodec.Vp8)]
    [InlineData(VideoCodec.H264)]
    public void ReceiveStream_RandomOrderLossAndDuplicates_NeverThrowsAndEmitsOnlyWholeFrames(VideoCodec codec)
    {
        var stream = new RtpTestStream(codec, 65_000);
        var random = new Random(3);
        for (var i = 0; i < 24; i++)
        {
            stream.AddFrame(i % 8 == 0 ? 15_000 : random.Next(500, 5_000), i % 8 == 0, i);
        }

        var all = stream.Packets.SelectMany(p => p).ToArray();
        var frames = stream.Frames.Select(f => Convert.ToBase64String(f)).ToHashSet();
        long emitted = 0;

        // Each case: for every packet, a delivery choice (0 drop, 1 once, 2 twice) and a sort key for the order.
        Gen.Select(Gen.Int[0, 9].Array[all.Length], Gen.Int[0, 1000].Array[all.Length]).Sample((choices, keys) =>
        {
            var pool = new EncodedPacketPool();
            var receiver = RtpTestStream.CreateReceiver(codec, pool, new JitterBufferOptions { MaxNackRetries = 1, Capacity = 256 });
            var order = Enumerable.Range(0, all.Length).OrderBy(i => i + (keys[i] / 100)).ToArray();
            var now = TimeSpan.Zero;
            var rtcp = new byte[1500];
            foreach (var i in order)
            {
                var copies = choices[i] == 0 ? 0 : choices[i] == 9 ? 2 : 1;
                for (var c = 0; c < copies; c++)
                {
                    receiver.ReceiveRtp(all[i], now);
                }

                now += TimeSpan.FromMilliseconds(3);
                receiver.WriteRtcp(rtcp, now, includeReport: true);
                while (receiver.TryGetFrame(now, out var frame))
                {
                    Assert.Contains(Convert.ToBase64String(frame.Data), frames);
                    Interlocked.Increment(ref emitted);
                    frame.Release();
                }
            }

            now += TimeSpan.FromSeconds(5);
            receiver.WriteRtcp(rtcp, now, includeReport: true);
            while (receiver.TryGetFrame(now, out var frame))
            {
                Assert.Contains(Convert.ToBase64String(frame.Data), frames);
                frame.Release();
            }

            Assert.Equal(0, pool.Outstanding);
        }, iter: 300);

        // Most cases lose a packet of the first keyframe, but the ones that do not must produce frames.
        Assert.True(emitted > 0);
    }

    [Fact]
    public void ReceiveStream_RandomAndMutatedDatagrams_NeverThrow()
    {
        var stream = new RtpTestStream(VideoCodec.H264, 10);
        stream.AddFrame(5_000, true, 1);
        stream.AddFrame(2_000, false, 2);
        var all = stream.Packets.SelectMany(p => p).ToArray();

        Gen.Select(Gen.Int[0, all.Length - 1].Array[1, 30], Gen.Int[0, 40], Gen.Byte, Gen.Byte.Array[0, 40]).Sample((picks, position, value, junk) =>
        {
            var pool = new EncodedPacketPool();
            var receiver = RtpTestStream.CreateReceiver(VideoCodec.H264, pool, new JitterBufferOptions { Capacity = 64 });
            var now = TimeSpan.Zero;
            receiver.ReceiveRtp(junk, now);
            receiver.ReceiveRtcp(junk, now);
            foreach (var pick in picks)
            {
                var packet = (byte[])all[pick].Clone();
                if (position < packet.Length)
                {
                    packet[position] = value;
                }

                receiver.ReceiveRtp(packet, now);
                now += TimeSpan.FromMilliseconds(20);
                while (receiver.TryGetFrame(now, out var frame))
                {
                    frame.Release();
                }
            }

            Assert.Equal(0, pool.Outstanding);
        }, iter: 1_000);
    }
}
