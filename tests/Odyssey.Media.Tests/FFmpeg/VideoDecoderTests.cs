using Odyssey.Media.Containers;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Media.Tests.FFmpeg;

public sealed class VideoDecoderTests : IClassFixture<Clips>
{
    private readonly Clips _clips;

    public VideoDecoderTests(Clips clips) => _clips = clips;

    [Theory]
    [InlineData(VideoCodec.H264, 1)]
    [InlineData(VideoCodec.H264, 2)]
    [InlineData(VideoCodec.Vp8, 1)]
    [InlineData(VideoCodec.Vp9, 1)]
    [InlineData(VideoCodec.Vp9, 2)]
    [InlineData(VideoCodec.Av1, 1)]
    public void Decode_Clip_ByteIdenticalToFfmpegReference(VideoCodec codec, int threads)
    {
        var clip = _clips.Clip(codec);
        var reference = _clips.ReferenceFrames(codec, clip);
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();

        var result = DecodeHarness.Decode(codec, clip, frames, packets, threads);

        Assert.Equal(Clips.FrameCount, reference.Count);
        Assert.Equal(reference.Count, result.Frames.Count);
        for (var i = 0; i < reference.Count; i++)
        {
            Assert.True(reference[i].AsSpan().SequenceEqual(result.Frames[i]), $"{codec} frame {i} differs from ffmpeg's decode");
        }

        for (var i = 1; i < result.Pts.Count; i++)
        {
            Assert.True(result.Pts[i] > result.Pts[i - 1], $"{codec} pts not increasing at frame {i}: {result.Pts[i - 1]} then {result.Pts[i]}");
        }

        Assert.Equal(0, result.CorruptPackets);
        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    [InlineData(VideoCodec.Vp9)]
    public void Decode_JoinedMidGop_FramesFromNextKeyframeMatchReference(VideoCodec codec)
    {
        // A live receiver joins mid-stream: the first packets reference pictures it never saw.
        var clip = _clips.Clip(codec);
        var reference = _clips.ReferenceFrames(codec, clip);
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        const int Joined = 5;

        var result = DecodeHarness.Decode(codec, clip, frames, packets, skip: Joined);

        var tail = reference.Count - Clips.KeyframeInterval;
        Assert.InRange(result.Frames.Count, tail, reference.Count - Joined);
        for (var i = 1; i <= tail; i++)
        {
            Assert.True(reference[^i].AsSpan().SequenceEqual(result.Frames[^i]), $"{codec}: frame {reference.Count - i} differs after joining");
        }

        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    [Theory]
    [InlineData(VideoCodec.H264, "yuv422p")]
    [InlineData(VideoCodec.Vp9, "yuv444p")]
    [InlineData(VideoCodec.Vp9, "yuv420p10le")]
    public void Decode_OtherPixelFormat_ConvertedToI420LikeFfmpeg(VideoCodec codec, string pixelFormat)
    {
        var clip = _clips.Clip(codec, pixelFormat);
        var reference = _clips.ReferenceFrames(codec, clip);
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();

        var result = DecodeHarness.Decode(codec, clip, frames, packets);

        Assert.Equal(Clips.FrameCount, result.Frames.Count);
        for (var i = 0; i < reference.Count; i++)
        {
            Assert.True(reference[i].AsSpan().SequenceEqual(result.Frames[i]), $"{codec} {pixelFormat} frame {i} differs from ffmpeg's conversion");
        }

        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void Decode_H264_PtsIsFrameIndexOverFrameRate()
    {
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();

        var result = DecodeHarness.Decode(VideoCodec.H264, _clips.Clip(VideoCodec.H264), frames, packets);

        Assert.Equal(TimeSpan.Zero, result.Pts[0]);
        Assert.Equal(TimeSpan.FromSeconds(29 / 30.0), result.Pts[29]);
        Assert.Equal(0, frames.Outstanding);
    }

    [Theory]
    [InlineData(VideoCodec.H264, 1)]
    [InlineData(VideoCodec.H264, 2)] // frame threads report the error a frame or two late
    [InlineData(VideoCodec.Vp8, 1)]
    [InlineData(VideoCodec.Vp9, 1)]
    [InlineData(VideoCodec.Vp9, 2)]
    public void Decode_CorruptPacketMidStream_CountsItRequestsKeyframeAndRecovers(VideoCodec codec, int threads)
    {
        var clip = _clips.Clip(codec);
        var reference = _clips.ReferenceFrames(codec, clip);
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        const int Damaged = 15; // between the keyframes at 10 and 20

        var result = DecodeHarness.Decode(codec, clip, frames, packets, threads, damage: packet =>
        {
            if (packet.Index == Damaged)
            {
                Assert.False(packet.IsKeyframe);

                if (codec == VideoCodec.Vp8)
                {
                    // VP8's boolean decoder reads any bytes as some picture; what it does detect is a
                    // packet cut short of the partition size its header declares (a lost fragment).
                    packet.SetLength(6);
                    return;
                }

                // Keep the first bytes (start code, NAL and frame headers) so the codec reads on into garbage.
                var data = packet.Data;
                var random = new Random(7);
                for (var i = Math.Min(8, data.Length / 2); i < data.Length; i++)
                {
                    data[i] = (byte)random.Next(256);
                }
            }
        });

        Assert.True(result.CorruptPackets > 0, $"{codec}: the damaged packet was not reported");
        Assert.True(result.KeyframeRequests > 0, $"{codec}: no keyframe was requested");

        // Everything from the next keyframe on is exactly ffmpeg's clean decode again.
        var tail = reference.Count - (2 * Clips.KeyframeInterval);
        Assert.True(result.Frames.Count >= tail, $"{codec}: only {result.Frames.Count} frames came out");
        for (var i = 1; i <= tail; i++)
        {
            Assert.True(reference[^i].AsSpan().SequenceEqual(result.Frames[^i]), $"{codec}: frame {reference.Count - i} differs after recovery");
        }

        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    [InlineData(VideoCodec.Vp9)]
    [InlineData(VideoCodec.Av1)]
    public void Send_RandomBytes_NoThrowAndEveryFrameReturned(VideoCodec codec)
    {
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        var random = new Random(42);
        using var decoder = new VideoDecoder(codec, frames);

        for (var i = 0; i < 50; i++)
        {
            var packet = packets.Rent(random.Next(1, 2000));
            random.NextBytes(packet.Data);
            decoder.Send(packet);
            packet.Release();
            while (decoder.TryReceive(out var frame))
            {
                frame.Release();
            }
        }

        decoder.SendEndOfStream();
        while (decoder.TryReceive(out var frame))
        {
            frame.Release();
        }

        // Random bytes are either rejected (counted) or skipped by the codec; either way nothing leaks.
        Assert.True(decoder.CorruptPackets >= 0);
        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void Send_RandomBytesToH264_CountsCorruptPackets()
    {
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        var random = new Random(3);
        using var decoder = new VideoDecoder(VideoCodec.H264, frames);

        for (var i = 0; i < 20; i++)
        {
            var packet = packets.Rent(1000);
            random.NextBytes(packet.Data);

            // A start code and a non-IDR slice header byte, so the decoder tries the garbage as a slice.
            packet.Data[0] = 0;
            packet.Data[1] = 0;
            packet.Data[2] = 1;
            packet.Data[3] = 0x41;
            decoder.Send(packet);
            packet.Release();
            while (decoder.TryReceive(out var frame))
            {
                frame.Release();
            }
        }

        Assert.True(decoder.CorruptPackets > 0);
        Assert.True(decoder.KeyframeNeeded);
        Assert.Equal(0, frames.Outstanding);
    }

    [Fact]
    public void Decode_TruncatedH264_DecodesWhatIsThereWithoutThrowing()
    {
        var clip = _clips.Clip(VideoCodec.H264);
        var reference = _clips.ReferenceFrames(VideoCodec.H264, clip);
        var bytes = File.ReadAllBytes(clip);
        var truncated = Path.Combine(_clips.Folder, "truncated.h264");
        File.WriteAllBytes(truncated, bytes.AsSpan(0, bytes.Length * 2 / 3).ToArray());
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();

        var result = DecodeHarness.Decode(VideoCodec.H264, truncated, frames, packets);

        Assert.InRange(result.Frames.Count, 1, reference.Count - 1);
        Assert.True(reference[0].AsSpan().SequenceEqual(result.Frames[0]));
        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void Decode_TruncatedIvf_ThrowsNamingThePacket()
    {
        var clip = _clips.Clip(VideoCodec.Vp8);
        var bytes = File.ReadAllBytes(clip);
        var truncated = Path.Combine(_clips.Folder, "truncated.ivf");
        File.WriteAllBytes(truncated, bytes.AsSpan(0, bytes.Length - 10).ToArray());
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();

        var error = Assert.Throws<MediaFileException>(() => DecodeHarness.Decode(VideoCodec.Vp8, truncated, frames, packets));

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.Equal(Clips.FrameCount - 1, error.PacketIndex);
        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void Decode_RandomBytesAsAnnexB_TypedErrorNoLeak()
    {
        var garbage = Path.Combine(_clips.Folder, "garbage.h264");
        var bytes = new byte[100_000];
        new Random(11).NextBytes(bytes);
        File.WriteAllBytes(garbage, bytes);
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();

        // No SPS in random bytes: the reader says so instead of producing nothing silently.
        var error = Assert.Throws<MediaFileException>(() => DecodeHarness.Decode(VideoCodec.H264, garbage, frames, packets));

        Assert.Equal(garbage, error.FilePath);
        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void Send_AfterEndOfStream_ThrowsUntilReset()
    {
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        using var decoder = new VideoDecoder(VideoCodec.Vp8, frames);
        var packet = packets.Rent(10);
        decoder.SendEndOfStream();

        Assert.Throws<InvalidOperationException>(() => decoder.Send(packet));
        decoder.Reset();
        decoder.Send(packet);

        packet.Release();
        while (decoder.TryReceive(out var frame))
        {
            frame.Release();
        }

        Assert.Equal(0, frames.Outstanding);
    }

    [Fact]
    public void Send_AfterDispose_ThrowsObjectDisposed()
    {
        var packets = new EncodedPacketPool();
        var decoder = new VideoDecoder(VideoCodec.H264, new VideoFramePool());
        decoder.Dispose();
        decoder.Dispose();
        var packet = packets.Rent(10);

        Assert.Throws<ObjectDisposedException>(() => decoder.Send(packet));
        packet.Release();
    }
}
