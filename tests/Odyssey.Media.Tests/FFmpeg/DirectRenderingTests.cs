using Odyssey.Media.Containers;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Media.Tests.FFmpeg;

/// <summary>
/// Zero-copy decoding (libavcodec writing into pooled frames through get_buffer2) against the copy path
/// it replaces: same pixels, same timestamps, and frames shared with the codec never reused too early.
/// </summary>
public sealed class DirectRenderingTests : IClassFixture<Clips>
{
    private readonly Clips _clips;

    public DirectRenderingTests(Clips clips) => _clips = clips;

    [Theory]
    [InlineData(VideoCodec.H264, 1)]
    [InlineData(VideoCodec.H264, 2)]
    [InlineData(VideoCodec.Vp8, 1)]
    [InlineData(VideoCodec.Vp9, 1)]
    [InlineData(VideoCodec.Vp9, 2)]
    [InlineData(VideoCodec.Av1, 1)]
    public void Decode_DirectRendering_PlanesByteEqualToCopyPath(VideoCodec codec, int threads)
    {
        var clip = _clips.Clip(codec);

        var copied = Run(codec, clip, threads, directRendering: false);
        var direct = Run(codec, clip, threads, directRendering: true);

        // libdav1d allocates its own pictures (no AV_CODEC_CAP_DR1), so AV1 stays on the copy path.
        var served = codec != VideoCodec.Av1;
        Assert.Equal(served, direct.DirectRendering);
        Assert.False(copied.DirectRendering);
        Assert.Equal(Clips.FrameCount, copied.Frames.Count);
        AssertSame(codec, copied, direct);
        Assert.Equal(served ? Clips.FrameCount : 0, direct.DirectFrames);
        Assert.Equal(0, copied.DirectFrames);
        Assert.True(direct.Aligned, $"{codec}: a zero-copy frame's plane did not start on a 64-byte address");
    }

    [Theory]
    [InlineData(VideoCodec.H264, 200, 120)] // coded 208x128: libavcodec crops right and bottom on output
    [InlineData(VideoCodec.H264, 176, 100)] // rows widened until chroma rows are 64-byte multiples
    [InlineData(VideoCodec.Vp8, 200, 120)]
    [InlineData(VideoCodec.Vp9, 176, 100)]
    public void Decode_SizeNeedingPaddingOrCropping_ByteEqualToCopyPathWithoutCopies(VideoCodec codec, int width, int height)
    {
        var clip = _clips.SizedClip(codec, width, height);

        var copied = Run(codec, clip, 1, directRendering: false);
        var direct = Run(codec, clip, 1, directRendering: true);

        Assert.Equal(Clips.FrameCount, copied.Frames.Count);
        AssertSame(codec, copied, direct);
        Assert.Equal(Clips.FrameCount, direct.DirectFrames);
        Assert.Equal((width, height), direct.Size);
    }

    [Theory]
    [InlineData(VideoCodec.H264, 1)]
    [InlineData(VideoCodec.H264, 2)]
    [InlineData(VideoCodec.Vp8, 1)]
    [InlineData(VideoCodec.Vp9, 2)]
    public void Decode_ConsumerKeepsSomeFrames_KeptFramesIntactAfterDecoderRunsOn(VideoCodec codec, int threads)
    {
        var clip = _clips.Clip(codec);
        var reference = Run(codec, clip, threads, directRendering: false);
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        var kept = new List<(int Index, VideoFrame Frame)>();
        var received = 0;

        using (var decoder = new VideoDecoder(codec, frames, threads, directRendering: true))
        using (var reader = new MediaFileReader(clip, packets))
        {
            void Drain()
            {
                while (decoder.TryReceive(out var frame))
                {
                    // Every third frame is kept to the end; the others go back at once, so their buffers
                    // are reused for later pictures while the kept ones (some still codec references) must not be.
                    if (received % 3 == 0)
                    {
                        kept.Add((received, frame));
                    }
                    else
                    {
                        frame.Release();
                    }

                    received++;
                }
            }

            while (reader.TryRead(out var packet))
            {
                decoder.Send(packet);
                packet.Release();
                Drain();
            }

            decoder.SendEndOfStream();
            Drain();
            Assert.Equal(Clips.FrameCount, decoder.DirectFrames);
        }

        Assert.Equal(Clips.FrameCount, received);
        Assert.Equal(kept.Count, frames.Outstanding);
        foreach (var (index, frame) in kept)
        {
            Assert.True(reference.Frames[index].AsSpan().SequenceEqual(Clips.Pack(frame)), $"{codec}: kept frame {index} changed while the decoder ran on");
            Assert.Equal(reference.Pts[index], frame.Pts);
            frame.Release();
        }

        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    [Theory]
    [InlineData(VideoCodec.H264, 1)]
    [InlineData(VideoCodec.H264, 2)]
    [InlineData(VideoCodec.Vp8, 1)]
    [InlineData(VideoCodec.Vp9, 2)]
    public void Dispose_MidStream_CodecReferencesReturnedToPool(VideoCodec codec, int threads)
    {
        var clip = _clips.Clip(codec);
        var reference = Run(codec, clip, threads, directRendering: false);
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        const int Sent = 15; // mid-GOP: the codec holds reference pictures
        VideoFrame? last = null;
        var lastIndex = -1;
        var decoder = new VideoDecoder(codec, frames, threads, directRendering: true);
        try
        {
            using var reader = new MediaFileReader(clip, packets);
            for (var i = 0; i < Sent && reader.TryRead(out var packet); i++)
            {
                decoder.Send(packet);
                packet.Release();
                while (decoder.TryReceive(out var frame))
                {
                    last?.Release();
                    last = frame;
                    lastIndex++;
                }
            }

            Assert.NotNull(last);

            // The codec's own references are pooled frames too: more than the one we hold are out.
            Assert.True(frames.Outstanding > 1, $"{codec}: expected the codec to hold reference frames, {frames.Outstanding} out");
        }
        finally
        {
            decoder.Dispose();
        }

        Assert.Equal(1, frames.Outstanding);
        Assert.True(reference.Frames[lastIndex].AsSpan().SequenceEqual(Clips.Pack(last)), $"{codec}: frame {lastIndex} changed when the decoder was disposed");
        last.Release();
        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void Reset_MidStream_CodecReferencesReturnedAndDecodingRestarts()
    {
        var clip = _clips.Clip(VideoCodec.H264);
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        using var decoder = new VideoDecoder(VideoCodec.H264, frames, 1, directRendering: true);
        using var reader = new MediaFileReader(clip, packets);
        for (var i = 0; i < 5 && reader.TryRead(out var packet); i++)
        {
            decoder.Send(packet);
            packet.Release();
            while (decoder.TryReceive(out var frame))
            {
                frame.Release();
            }
        }

        Assert.True(frames.Outstanding > 0);
        decoder.Reset();
        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    private static void AssertSame(VideoCodec codec, Result expected, Result actual)
    {
        Assert.Equal(expected.Frames.Count, actual.Frames.Count);
        for (var i = 0; i < expected.Frames.Count; i++)
        {
            Assert.True(expected.Frames[i].AsSpan().SequenceEqual(actual.Frames[i]), $"{codec} frame {i}: zero-copy pixels differ from the copy path's");
            Assert.Equal(expected.Pts[i], actual.Pts[i]);
        }
    }

    private static Result Run(VideoCodec codec, string clip, int threads, bool directRendering)
    {
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        var decoded = new List<byte[]>();
        var pts = new List<TimeSpan>();
        var aligned = true;
        var size = (0, 0);
        bool direct;
        long directFrames;
        using (var decoder = new VideoDecoder(codec, frames, threads, directRendering))
        using (var reader = new MediaFileReader(clip, packets))
        {
            void Drain()
            {
                while (decoder.TryReceive(out var frame))
                {
                    decoded.Add(Clips.Pack(frame));
                    pts.Add(frame.Pts);
                    size = (frame.Width, frame.Height);
                    for (var plane = 0; plane < frame.PlaneCount; plane++)
                    {
                        aligned &= frame.GetPlanePointer(plane) % 64 == 0;
                    }

                    frame.Release();
                }
            }

            while (reader.TryRead(out var packet))
            {
                decoder.Send(packet);
                packet.Release();
                Drain();
            }

            decoder.SendEndOfStream();
            Drain();
            Assert.Equal(0, decoder.CorruptPackets);
            Assert.Equal(0, decoder.BufferFailures);
            direct = decoder.DirectRendering;
            directFrames = decoder.DirectFrames;
        }

        // Disposed: nothing may stay out, not even what the codec kept for prediction.

        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
        return new Result(decoded, pts, direct, directFrames, aligned, size);
    }

    private sealed record Result(List<byte[]> Frames, List<TimeSpan> Pts, bool DirectRendering, long DirectFrames, bool Aligned, (int Width, int Height) Size);
}
