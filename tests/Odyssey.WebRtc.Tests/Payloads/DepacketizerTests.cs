using CsCheck;
using Odyssey.Media;
using Odyssey.WebRtc.Payloads;
using Odyssey.WebRtc.Rtp;

namespace Odyssey.WebRtc.Tests.Payloads;

public class DepacketizerTests
{
    [Theory]
    [InlineData(VideoCodec.Vp8, true, 40_000)]
    [InlineData(VideoCodec.Vp8, false, 9_000)]
    [InlineData(VideoCodec.Vp8, false, 50)]
    [InlineData(VideoCodec.H264, true, 40_000)]
    [InlineData(VideoCodec.H264, false, 9_000)]
    [InlineData(VideoCodec.H264, false, 50)]
    public void PacketizeThenDepacketize_WholeFrame_IsByteForByte(VideoCodec codec, bool keyframe, int size)
    {
        var frame = codec == VideoCodec.Vp8 ? TestFrames.Vp8(size, keyframe, 1) : TestFrames.H264(size, keyframe, 1);
        var packets = TestFrames.Packetize(RtpPacketizer.Create(codec), frame);
        var pool = new EncodedPacketPool();
        var depacketizer = RtpDepacketizer.Create(codec);

        depacketizer.Begin();
        for (var i = 0; i < packets.Count; i++)
        {
            Assert.InRange(packets[i].Payload.Length, 1, RtpPacketizer.DefaultMaxPayloadSize);
            Assert.Equal(i == packets.Count - 1, packets[i].Marker);
            Assert.True(depacketizer.TryAppend(packets[i].Payload, i == 0, out var error), $"packet {i}: {error}");
        }

        // H.264 trusts only parameter sets as a frame start: a keyframe's STAP-A, not a delta's slice.
        Assert.Equal(codec == VideoCodec.Vp8 || keyframe, depacketizer.IsFrameStart(packets[0].Payload));
        Assert.True(depacketizer.TryFinish(pool, out var output, out _));
        Assert.Equal(frame, output.Data.ToArray());
        Assert.Equal(keyframe, output.IsKeyframe);
        Assert.Equal(codec, output.Codec);
        output.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void H264Packetizer_KeyframeWithParameterSets_UsesStapAThenFuA()
    {
        var frame = TestFrames.H264(3000, keyframe: true, 2);
        var packets = TestFrames.Packetize(RtpPacketizer.Create(VideoCodec.H264), frame);

        Assert.Equal(H264Nal.StapA, packets[0].Payload[0] & 0x1F);
        Assert.Equal(0x67, packets[0].Payload[3]); // first aggregated unit: the SPS, after its 2-byte size
        Assert.Equal(4, packets.Count); // 2999 bytes after the NAL header need three 1198-byte fragments
        Assert.Equal(H264Nal.FuA, packets[1].Payload[0] & 0x1F);
        Assert.Equal(0x80 | 5, packets[1].Payload[1]); // S bit, IDR type
        Assert.Equal(0x05, packets[2].Payload[1]); // a middle fragment
        Assert.Equal(0x40 | 5, packets[3].Payload[1]); // E bit
        Assert.Equal(0x60, packets[1].Payload[0] & 0x60); // NRI of the IDR kept in the FU indicator
    }

    [Fact]
    public void H264_HandBuiltStapA_WritesStartCodes()
    {
        byte[] stap = [0x78, 0, 3, 0x67, 0xAA, 0xBB, 0, 2, 0x68, 0xCC];
        byte[] expected = [0, 0, 0, 1, 0x67, 0xAA, 0xBB, 0, 0, 0, 1, 0x68, 0xCC];
        var depacketizer = RtpDepacketizer.Create(VideoCodec.H264);
        var pool = new EncodedPacketPool();

        depacketizer.Begin();
        Assert.True(depacketizer.TryAppend(stap, true, out _));
        Assert.True(depacketizer.TryFinish(pool, out var frame, out _));

        Assert.Equal(expected, frame.Data.ToArray());
        Assert.False(frame.IsKeyframe);
        frame.Release();
    }

    [Fact]
    public void H264_HandBuiltFuA_RebuildsNalHeader()
    {
        byte[] first = [0x7C, 0x85, 0x88, 1, 2];
        byte[] middle = [0x7C, 0x05, 3, 4];
        byte[] last = [0x7C, 0x45, 5];
        var depacketizer = RtpDepacketizer.Create(VideoCodec.H264);
        var pool = new EncodedPacketPool();

        depacketizer.Begin();
        Assert.True(depacketizer.TryAppend(first, true, out _));
        Assert.True(depacketizer.TryAppend(middle, false, out _));
        Assert.True(depacketizer.TryAppend(last, false, out _));
        Assert.True(depacketizer.TryFinish(pool, out var frame, out _));

        Assert.Equal(new byte[] { 0, 0, 0, 1, 0x65, 0x88, 1, 2, 3, 4, 5 }, frame.Data.ToArray());
        Assert.True(frame.IsKeyframe);
        frame.Release();
    }

    [Fact]
    public void H264_FuAWithoutEnd_IsIncomplete()
    {
        var depacketizer = RtpDepacketizer.Create(VideoCodec.H264);
        depacketizer.Begin();
        Assert.True(depacketizer.TryAppend([0x7C, 0x85, 0x88, 1], true, out _));
        Assert.False(depacketizer.TryFinish(new EncodedPacketPool(), out _, out var error));
        Assert.Equal(RtpError.IncompleteFrame, error);
    }

    [Fact]
    public void H264_FuAWithoutStart_IsIncomplete()
    {
        var depacketizer = RtpDepacketizer.Create(VideoCodec.H264);
        depacketizer.Begin();
        Assert.False(depacketizer.TryAppend([0x7C, 0x45, 5], true, out var error));
        Assert.Equal(RtpError.IncompleteFrame, error);
    }

    [Fact]
    public void H264_InterleavedModeTypes_AreUnsupported()
    {
        var depacketizer = RtpDepacketizer.Create(VideoCodec.H264);
        depacketizer.Begin();
        Assert.False(depacketizer.TryAppend([0x79, 0, 1, 2, 3], true, out var error));
        Assert.Equal(RtpError.UnsupportedPayload, error);
    }

    [Fact]
    public void Vp8_DescriptorWithSevenBitPictureIdTl0AndKeyIdx_IsSkipped()
    {
        // X=1 S=1 PID=0 | I L T K | M=0 PictureID 0x11 | TL0PICIDX | TID/Y/KEYIDX | payload header (key) ...
        byte[] payload = [0x90, 0xF0, 0x11, 0x22, 0x33, 0x10, 0x02, 0x00, 0x9D];
        var depacketizer = RtpDepacketizer.Create(VideoCodec.Vp8);
        var pool = new EncodedPacketPool();

        Assert.True(Vp8Descriptor.TryParse(payload, out var descriptor));
        Assert.Equal(5, descriptor.Size);
        Assert.Equal(0x11, descriptor.PictureId);
        depacketizer.Begin();
        Assert.True(depacketizer.TryAppend(payload, true, out _));
        Assert.True(depacketizer.TryFinish(pool, out var frame, out _));
        Assert.Equal(new byte[] { 0x10, 0x02, 0x00, 0x9D }, frame.Data.ToArray());
        Assert.True(frame.IsKeyframe);
        frame.Release();
    }

    [Fact]
    public void Vp8Packetizer_SuccessiveFrames_IncrementFifteenBitPictureId()
    {
        var packetizer = new Vp8Packetizer(1200, initialPictureId: 0x7FFF);
        var first = TestFrames.Packetize(packetizer, TestFrames.Vp8(100, true, 1));
        var second = TestFrames.Packetize(packetizer, TestFrames.Vp8(100, false, 2));

        Assert.True(Vp8Descriptor.TryParse(first[0].Payload, out var a));
        Assert.True(Vp8Descriptor.TryParse(second[0].Payload, out var b));
        Assert.Equal(0x7FFF, a.PictureId);
        Assert.Equal(0, b.PictureId);
        Assert.Equal(0x80, second[0].Payload[2] & 0x80); // M bit: the 15-bit form even for small values
    }

    [Fact]
    public void Vp8_FirstPacketMissing_IsIncomplete()
    {
        var packets = TestFrames.Packetize(RtpPacketizer.Create(VideoCodec.Vp8), TestFrames.Vp8(5000, true, 3));
        var depacketizer = RtpDepacketizer.Create(VideoCodec.Vp8);
        depacketizer.Begin();
        Assert.False(depacketizer.IsFrameStart(packets[1].Payload));
        Assert.False(depacketizer.TryAppend(packets[1].Payload, true, out var error));
        Assert.Equal(RtpError.IncompleteFrame, error);
    }

    [Theory]
    [InlineData(VideoCodec.Vp8)]
    [InlineData(VideoCodec.H264)]
    public void Depacketizer_RandomPayloads_OnlyTypedRejection(VideoCodec codec)
    {
        var pool = new EncodedPacketPool();
        var depacketizer = RtpDepacketizer.Create(codec);
        Gen.Byte.Array[0, 64].Array[1, 6].Sample(payloads => Feed(depacketizer, pool, payloads), iter: 10_000, threads: 1);
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData(VideoCodec.Vp8)]
    [InlineData(VideoCodec.H264)]
    public void Depacketizer_MutatedPayloads_OnlyTypedRejection(VideoCodec codec)
    {
        var frame = codec == VideoCodec.Vp8 ? TestFrames.Vp8(3000, true, 4) : TestFrames.H264(3000, true, 4);
        var template = TestFrames.Packetize(RtpPacketizer.Create(codec, 600), frame);
        var pool = new EncodedPacketPool();
        var depacketizer = RtpDepacketizer.Create(codec);

        Gen.Select(Gen.Int[0, template.Count - 1], Gen.Int[0, 8], Gen.Byte, Gen.Int[0, template.Count - 1]).Sample((packet, position, value, skip) =>
        {
            var payloads = new List<byte[]>();
            for (var i = 0; i < template.Count; i++)
            {
                if (i == skip && skip != packet)
                {
                    continue;
                }

                var copy = (byte[])template[i].Payload.Clone();
                if (i == packet && position < copy.Length)
                {
                    copy[position] = value;
                }

                payloads.Add(copy);
            }

            Feed(depacketizer, pool, [.. payloads]);
        }, iter: 10_000, threads: 1);
        Assert.Equal(0, pool.Outstanding);
    }

    private static void Feed(RtpDepacketizer depacketizer, EncodedPacketPool pool, byte[][] payloads)
    {
        depacketizer.Begin();
        for (var i = 0; i < payloads.Length; i++)
        {
            depacketizer.IsFrameStart(payloads[i]);
            if (!depacketizer.TryAppend(payloads[i], i == 0, out var error))
            {
                Assert.NotEqual(RtpError.None, error);
                return;
            }
        }

        if (depacketizer.TryFinish(pool, out var frame, out _))
        {
            Assert.True(frame.Length > 0);
            frame.Release();
        }
    }
}
