using Odyssey.Media.FFmpeg;

namespace Odyssey.Media.Tests.FFmpeg;

public sealed class VideoEncoderTests
{
    private const int Width = 320;
    private const int Height = 240;
    private const int FrameCount = 30;
    private const double MinimumPsnr = 35;

    [Theory]
    [InlineData(VideoCodec.H264, 1)]
    [InlineData(VideoCodec.Vp8, 1)]
    [InlineData(VideoCodec.H264, 2)]
    [InlineData(VideoCodec.Vp8, 2)]
    public void EncodeThenDecode_MovingPattern_EveryFrameBackInOrderAbovePsnr(VideoCodec codec, int threads)
    {
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        var sources = new List<byte[]>();
        var encoded = new List<EncodedPacket>();
        using (var encoder = new VideoEncoder(new VideoEncoderSettings(codec, Width, Height) { BitrateKbps = 1500, Threads = threads }, packets))
        {
            for (var i = 0; i < FrameCount; i++)
            {
                using var frame = Rented(frames, PixelFormat.I420);
                Patterns.Draw(frame.Value, i);
                frame.Value.Pts = TimeSpan.FromMilliseconds(i * 40);
                sources.Add(Patterns.Luma(frame.Value));
                encoder.Send(frame.Value);
                Drain(encoder, encoded);
            }

            encoder.SendEndOfStream();
            Drain(encoder, encoded);
            Assert.Equal(FrameCount, encoder.FramesSent);
            Assert.Equal(encoded.Count, encoder.PacketsReceived);
        }

        Assert.Equal(FrameCount, encoded.Count);
        var decoded = new List<(byte[] Luma, TimeSpan Pts)>();
        using (var decoder = new VideoDecoder(codec, frames))
        {
            for (var i = 0; i < encoded.Count; i++)
            {
                Assert.Equal(codec, encoded[i].Codec);
                Assert.Equal(i, encoded[i].Index);
                Assert.Equal(TimeSpan.FromMilliseconds(i * 40), encoded[i].Pts);
                Assert.Equal(encoded[i].Pts, encoded[i].Dts);
                decoder.Send(encoded[i]);
                encoded[i].Release();
                while (decoder.TryReceive(out var frame))
                {
                    decoded.Add((Patterns.Luma(frame), frame.Pts));
                    frame.Release();
                }
            }

            decoder.SendEndOfStream();
            while (decoder.TryReceive(out var frame))
            {
                decoded.Add((Patterns.Luma(frame), frame.Pts));
                frame.Release();
            }

            Assert.Equal(0, decoder.CorruptPackets);
        }

        Assert.Equal(FrameCount, decoded.Count);
        for (var i = 0; i < FrameCount; i++)
        {
            Assert.Equal(TimeSpan.FromMilliseconds(i * 40), decoded[i].Pts);
            var psnr = Patterns.Psnr(sources[i], decoded[i].Luma);
            Assert.True(psnr >= MinimumPsnr, $"{codec} frame {i}: luma PSNR {psnr:F1} dB < {MinimumPsnr} dB");
        }

        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    public void Encode_NoRequests_KeyframesExactlyEveryInterval(VideoCodec codec)
    {
        const int Interval = 7;
        var keyframes = EncodeKeyframeFlags(codec, Interval, 3 * Interval + 2, requestAt: -1);

        for (var i = 0; i < keyframes.Count; i++)
        {
            Assert.True(keyframes[i] == (i % Interval == 0), $"{codec} packet {i}: keyframe {keyframes[i]}, GOP {Interval}");
        }
    }

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    public void RequestKeyframe_MidGop_NextPacketIsKeyframe(VideoCodec codec)
    {
        const int RequestAt = 5;
        var keyframes = EncodeKeyframeFlags(codec, 100, 10, RequestAt);

        Assert.True(keyframes[0]);
        Assert.True(keyframes[RequestAt], $"{codec}: packet {RequestAt} after RequestKeyframe is not a keyframe");
        for (var i = 1; i < keyframes.Count; i++)
        {
            if (i != RequestAt)
            {
                Assert.False(keyframes[i], $"{codec}: packet {i} is an unrequested keyframe");
            }
        }
    }

    [Fact]
    public void EncodeH264_Keyframes_AnnexBWithSpsPpsIdrInBand()
    {
        var packets = new EncodedPacketPool();
        var frames = new VideoFramePool();
        var units = new List<(bool Key, List<int> Types)>();
        using (var encoder = new VideoEncoder(new VideoEncoderSettings(VideoCodec.H264, Width, Height) { KeyframeInterval = 4 }, packets))
        {
            for (var i = 0; i < 9; i++)
            {
                using var frame = Rented(frames, PixelFormat.I420);
                Patterns.Draw(frame.Value, i);
                encoder.Send(frame.Value);
                while (encoder.TryReceive(out var packet))
                {
                    Assert.True(packet.Data.StartsWith((ReadOnlySpan<byte>)[0, 0, 0, 1]) || packet.Data.StartsWith((ReadOnlySpan<byte>)[0, 0, 1]), $"packet {packet.Index} does not start with an Annex-B start code");
                    units.Add((packet.IsKeyframe, NalTypes(packet.Data)));
                    packet.Release();
                }
            }
        }

        Assert.Equal(9, units.Count);
        foreach (var (key, types) in units)
        {
            const int Idr = 5;
            const int Sps = 7;
            const int Pps = 8;
            if (key)
            {
                Assert.Contains(Sps, types);
                Assert.Contains(Pps, types);
                Assert.Contains(Idr, types);
                Assert.True(types.IndexOf(Sps) < types.IndexOf(Idr) && types.IndexOf(Pps) < types.IndexOf(Idr), "SPS/PPS must precede the IDR slice");
            }
            else
            {
                Assert.DoesNotContain(Idr, types);
            }
        }

        Assert.Equal(3, units.Count(u => u.Key));
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void EncodeH264_FirstSps_ConstrainedBaseline()
    {
        var packets = new EncodedPacketPool();
        var frames = new VideoFramePool();
        using var encoder = new VideoEncoder(new VideoEncoderSettings(VideoCodec.H264, Width, Height), packets);
        using var frame = Rented(frames, PixelFormat.I420);
        Patterns.Draw(frame.Value, 0);
        encoder.Send(frame.Value);
        Assert.True(encoder.TryReceive(out var packet));
        try
        {
            var data = packet.Data;
            var sps = IndexOfNal(data, 7);
            Assert.True(sps >= 0, "no SPS in the first packet");

            // profile_idc 66 (baseline) with constraint_set1_flag (0x40): constrained baseline.
            Assert.Equal(66, data[sps + 1]);
            Assert.Equal(0x40, data[sps + 2] & 0x40);
        }
        finally
        {
            packet.Release();
        }
    }

    [Theory]
    [InlineData(PixelFormat.Bgr24)]
    [InlineData(PixelFormat.Nv12)]
    [InlineData(PixelFormat.Gray8)]
    public void Encode_NonI420Frames_ConvertedAndDecodable(PixelFormat format)
    {
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        var received = 0;
        using (var encoder = new VideoEncoder(new VideoEncoderSettings(VideoCodec.Vp8, Width, Height), packets))
        {
            using var i420 = Rented(frames, PixelFormat.I420);
            using var other = Rented(frames, format);
            for (var i = 0; i < 3; i++)
            {
                Patterns.Draw(i420.Value, i);
                PixelConverter.Convert(i420.Value, other.Value);
                encoder.Send(other.Value);
                while (encoder.TryReceive(out var packet))
                {
                    received++;
                    Assert.True(packet.Length > 0);
                    packet.Release();
                }
            }
        }

        Assert.Equal(3, received);
        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void Send_FrameOfAnotherSize_ThrowsNamingBothSizes()
    {
        var frames = new VideoFramePool();
        using var encoder = new VideoEncoder(new VideoEncoderSettings(VideoCodec.H264, Width, Height), new EncodedPacketPool());
        using var frame = new Rental(frames.Rent(160, 120, PixelFormat.I420));

        var error = Assert.Throws<ArgumentException>(() => encoder.Send(frame.Value));

        Assert.Contains("320x240", error.Message, StringComparison.Ordinal);
        Assert.Contains("160x120", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, encoder.FramesSent);
    }

    [Theory]
    [InlineData(VideoCodec.Vp9)]
    [InlineData(VideoCodec.Av1)]
    public void Create_UnsupportedCodec_NotSupportedNamingCodec(VideoCodec codec)
    {
        var error = Assert.Throws<NotSupportedException>(() => new VideoEncoder(new VideoEncoderSettings(codec, Width, Height), new EncodedPacketPool()));

        Assert.Contains(codec.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_OddH264Size_EncoderExceptionNamingCodecAndSize()
    {
        var error = Assert.Throws<VideoEncoderException>(() => new VideoEncoder(new VideoEncoderSettings(VideoCodec.H264, 321, 241), new EncodedPacketPool()));

        Assert.Contains("libx264", error.Message, StringComparison.Ordinal);
        Assert.Contains("321x241", error.Message, StringComparison.Ordinal);
        Assert.Equal(321, error.Width);
        Assert.True(error.ErrorCode < 0);
    }

    [Fact]
    public void Create_UnknownPreset_EncoderExceptionNamingOption()
    {
        var error = Assert.Throws<VideoEncoderException>(() => new VideoEncoder(new VideoEncoderSettings(VideoCodec.H264, Width, Height) { Preset = "warp-speed" }, new EncodedPacketPool()));

        Assert.Contains("preset", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 2000, 60, 1)]
    [InlineData(30, 0, 60, 1)]
    [InlineData(30, 2000, 0, 1)]
    [InlineData(30, 2000, 60, -1)]
    [InlineData(double.NaN, 2000, 60, 1)]
    public void Create_BadSettings_ArgumentOutOfRange(double fps, int bitrate, int interval, int threads)
    {
        var settings = new VideoEncoderSettings(VideoCodec.Vp8, Width, Height) { Fps = fps, BitrateKbps = bitrate, KeyframeInterval = interval, Threads = threads };

        Assert.Throws<ArgumentOutOfRangeException>(() => new VideoEncoder(settings, new EncodedPacketPool()));
    }

    [Fact]
    public void Send_AfterEndOfStream_Throws()
    {
        var frames = new VideoFramePool();
        using var encoder = new VideoEncoder(new VideoEncoderSettings(VideoCodec.Vp8, Width, Height), new EncodedPacketPool());
        using var frame = Rented(frames, PixelFormat.I420);
        encoder.SendEndOfStream();

        Assert.Throws<InvalidOperationException>(() => encoder.Send(frame.Value));
    }

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    public void Encode_SteadyState_AllocatesNothingManaged(VideoCodec codec)
    {
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        using var encoder = new VideoEncoder(new VideoEncoderSettings(codec, Width, Height), packets);
        using var i420 = Rented(frames, PixelFormat.I420);
        using var bgr = Rented(frames, PixelFormat.Bgr24);
        Patterns.Draw(i420.Value, 0);
        PixelConverter.Convert(i420.Value, bgr.Value);

        // Warm-up fills the packet pool's bins and creates the scratch frame.
        EncodeSome(encoder, i420.Value, bgr.Value, 10);
        var before = GC.GetAllocatedBytesForCurrentThread();
        EncodeSome(encoder, i420.Value, bgr.Value, 10);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void FpsRational_NtscRate_ReducedFraction()
    {
        Assert.Equal((2997, 100), VideoEncoder.FpsRational(29.97));
        Assert.Equal((30, 1), VideoEncoder.FpsRational(30));
        Assert.Equal((25, 2), VideoEncoder.FpsRational(12.5));
    }

    private static void EncodeSome(VideoEncoder encoder, VideoFrame i420, VideoFrame bgr, int count)
    {
        for (var i = 0; i < count; i++)
        {
            encoder.Send((i & 1) == 0 ? i420 : bgr);
            while (encoder.TryReceive(out var packet))
            {
                packet.Release();
            }
        }
    }

    private static List<bool> EncodeKeyframeFlags(VideoCodec codec, int interval, int count, int requestAt)
    {
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        var keyframes = new List<bool>();
        using (var encoder = new VideoEncoder(new VideoEncoderSettings(codec, Width, Height) { KeyframeInterval = interval }, packets))
        {
            for (var i = 0; i < count; i++)
            {
                if (i == requestAt)
                {
                    encoder.RequestKeyframe();
                }

                using var frame = Rented(frames, PixelFormat.I420);
                Patterns.Draw(frame.Value, i);
                encoder.Send(frame.Value);
                while (encoder.TryReceive(out var packet))
                {
                    keyframes.Add(packet.IsKeyframe);
                    packet.Release();
                }
            }
        }

        Assert.Equal(count, keyframes.Count);
        Assert.Equal(0, packets.Outstanding);
        return keyframes;
    }

    private static void Drain(VideoEncoder encoder, List<EncodedPacket> into)
    {
        while (encoder.TryReceive(out var packet))
        {
            into.Add(packet);
        }
    }

    private static Rental Rented(VideoFramePool pool, PixelFormat format) => new(pool.Rent(Width, Height, format));

    private static List<int> NalTypes(ReadOnlySpan<byte> data)
    {
        var types = new List<int>();
        for (var i = 0; i + 3 < data.Length; i++)
        {
            if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1)
            {
                types.Add(data[i + 3] & 0x1F);
                i += 3;
            }
        }

        return types;
    }

    private static int IndexOfNal(ReadOnlySpan<byte> data, int type)
    {
        for (var i = 0; i + 3 < data.Length; i++)
        {
            if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 && (data[i + 3] & 0x1F) == type)
            {
                return i + 3;
            }
        }

        return -1;
    }

    /// <summary>Releases a rented frame at the end of a using block.</summary>
    private readonly struct Rental(VideoFrame value) : IDisposable
    {
        public VideoFrame Value { get; } = value;

        public void Dispose() => Value.Release();
    }
}

/// <summary>A smooth moving picture (what cameras give codecs) and luma PSNR.</summary>
internal static class Patterns
{
    public static void Draw(VideoFrame frame, int index)
    {
        for (var y = 0; y < frame.Height; y++)
        {
            var row = frame.GetRow(0, y);
            for (var x = 0; x < row.Length; x++)
            {
                var wave = Math.Sin((x + (3.0 * index)) / 19.0) * Math.Cos((y - (2.0 * index)) / 23.0);
                var box = x >= 40 + (4 * index) && x < 100 + (4 * index) && y >= 60 && y < 140 ? 60 : 0;
                row[x] = (byte)Math.Clamp(110 + (70 * wave) + box, 16, 235);
            }
        }

        for (var plane = 1; plane < 3; plane++)
        {
            for (var y = 0; y < (frame.Height + 1) / 2; y++)
            {
                var row = frame.GetRow(plane, y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = (byte)(128 + (plane == 1 ? (x - 80) / 4 : (y - 60) / 4));
                }
            }
        }
    }

    public static byte[] Luma(VideoFrame frame)
    {
        var luma = new byte[frame.Width * frame.Height];
        for (var y = 0; y < frame.Height; y++)
        {
            frame.GetRow(0, y).CopyTo(luma.AsSpan(y * frame.Width));
        }

        return luma;
    }

    public static double Psnr(byte[] reference, byte[] actual)
    {
        Assert.Equal(reference.Length, actual.Length);
        double sum = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            var difference = reference[i] - actual[i];
            sum += difference * difference;
        }

        var mse = sum / reference.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }
}
