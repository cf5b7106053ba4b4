using Odyssey.Media.Containers;

namespace Odyssey.Media.Tests.Containers;

public sealed class MediaFileReaderTests : IClassFixture<MediaClips>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly MediaClips _clips;

    public MediaFileReaderTests(MediaClips clips) => _clips = clips;

    public static TheoryData<string, VideoCodec> Clips() => new()
    {
        { "h264.mp4", VideoCodec.H264 },
        { "h264.mkv", VideoCodec.H264 },
        { "h264.h264", VideoCodec.H264 },
        { "vp8.webm", VideoCodec.Vp8 },
        { "vp8.ivf", VideoCodec.Vp8 },
        { "vp9.mkv", VideoCodec.Vp9 },
    };

    [Theory]
    [MemberData(nameof(Clips))]
    public void Open_Clip_DescribesTheVideoStream(string name, VideoCodec codec)
    {
        using var reader = new MediaFileReader(_clips.Get(name), new EncodedPacketPool());

        Assert.Equal(codec, reader.Codec);
        Assert.Equal((MediaClips.Width, MediaClips.Height), (reader.Width, reader.Height));
        Assert.Equal(MediaClips.FrameRate, reader.FrameRate, 3);
        if (name.EndsWith(".h264", StringComparison.Ordinal))
        {
            Assert.Null(reader.Duration);
        }
        else
        {
            Assert.NotNull(reader.Duration);
            Assert.InRange(reader.Duration.Value.TotalSeconds, 0.9, 1.1);
        }
    }

    [Theory]
    [MemberData(nameof(Clips))]
    public void TryRead_Clip_EveryPacketInOrderWithKeyframesAtGopStarts(string name, VideoCodec codec)
    {
        var pool = new EncodedPacketPool();
        using var reader = new MediaFileReader(_clips.Get(name), pool);

        var packets = ReadAll(reader);

        Assert.Equal(MediaClips.FrameCount, packets.Count);
        var keyframes = new List<long>();
        for (var i = 0; i < packets.Count; i++)
        {
            var packet = packets[i];
            Assert.Equal(i, packet.Index);
            Assert.Equal(codec, packet.Codec);
            Assert.True(packet.Length > 0);

            // Every container's clock, at most a millisecond off (Matroska counts milliseconds).
            Assert.Equal(i * 1000.0 / MediaClips.FrameRate, packet.Pts.TotalMilliseconds, 1.0);
            if (i > 0)
            {
                Assert.True(packet.Pts > packets[i - 1].Pts, $"packet {i} pts {packet.Pts} does not increase");
            }

            if (packet.IsKeyframe)
            {
                keyframes.Add(packet.Index);
            }
        }

        Assert.Equal([0, MediaClips.KeyframeInterval, 2 * MediaClips.KeyframeInterval], keyframes);
        Release(packets);
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData("h264.mp4")]
    [InlineData("h264.mkv")]
    [InlineData("h264.h264")]
    public void TryRead_H264_AnnexBWithParameterSetsBeforeEachKeyframe(string name)
    {
        using var reader = new MediaFileReader(_clips.Get(name), new EncodedPacketPool());

        var packets = ReadAll(reader);

        foreach (var packet in packets)
        {
            // A start code first, never a 4-byte length prefix (MP4/MKV store lengths; we convert).
            Assert.True(packet.Data.StartsWith((byte[])[0, 0, 0, 1]) || packet.Data.StartsWith((byte[])[0, 0, 1]), $"packet {packet.Index} does not start with a start code");
            var types = NalTypes(packet.Data);
            Assert.Equal(packet.IsKeyframe, types.Contains(5));
            if (packet.IsKeyframe)
            {
                // SPS and PPS in band, so a decoder can start at any keyframe (after a seek, a loop).
                Assert.Contains(7, types);
                Assert.Contains(8, types);
            }
        }

        Release(packets);
    }

    [Fact]
    public void TryRead_RawH264_StampedAtTheGivenRate()
    {
        using var reader = new MediaFileReader(_clips.Get("h264.h264"), new EncodedPacketPool(), rawFrameRate: 25);

        var packets = ReadAll(reader);

        Assert.Equal(25, reader.FrameRate);
        for (var i = 0; i < packets.Count; i++)
        {
            Assert.Equal(TimeSpan.FromSeconds(i / 25.0), packets[i].Pts);
            Assert.Equal(packets[i].Pts, packets[i].Dts);
        }

        Release(packets);
    }

    [Theory]
    [InlineData("h264.mp4", 0.5, 10)]
    [InlineData("h264.mkv", 0.5, 10)]
    [InlineData("h264.h264", 0.5, 10)]
    [InlineData("vp8.webm", 0.5, 10)]
    [InlineData("vp8.ivf", 0.5, 10)]
    [InlineData("vp8.ivf", 0.0, 0)]
    [InlineData("h264.mp4", 0.0, 0)]
    [InlineData("h264.mp4", 0.7, 20)]
    [InlineData("h264.h264", 0.7, 20)]
    [InlineData("h264.mkv", 5.0, 20)]
    [InlineData("h264.h264", 5.0, 20)]
    public void Seek_Time_NextPacketIsTheKeyframeAtOrBefore(string name, double seconds, int expectedFrame)
    {
        var pool = new EncodedPacketPool();
        using var reader = new MediaFileReader(_clips.Get(name), pool);
        Assert.True(reader.TryRead(out var first));
        first.Release();

        reader.Seek(TimeSpan.FromSeconds(seconds));
        var rest = ReadAll(reader);

        Assert.True(rest[0].IsKeyframe);
        Assert.Equal(expectedFrame * 1000.0 / MediaClips.FrameRate, rest[0].Pts.TotalMilliseconds, 1.0);
        Assert.Equal(MediaClips.FrameCount - expectedFrame, rest.Count);

        // Index keeps counting what the reader handed out, across the seek.
        Assert.Equal(1, rest[0].Index);
        Release(rest);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void Open_UnknownExtension_NotSupportedNamingTheFile()
    {
        var path = _clips.NewPath("clip.avi");
        File.WriteAllBytes(path, new byte[100]);

        var error = Assert.Throws<NotSupportedException>(() => new MediaFileReader(path, new EncodedPacketPool()));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(".avi", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MissingFile_FileNotFound()
    {
        var path = _clips.NewPath("missing.mp4");

        var error = Assert.Throws<FileNotFoundException>(() => new MediaFileReader(path, new EncodedPacketPool()));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage.mp4")]
    [InlineData("garbage.mkv")]
    [InlineData("garbage.webm")]
    [InlineData("garbage.ivf")]
    public void Open_Garbage_MediaFileExceptionNamingTheFile(string name)
    {
        var path = _clips.NewPath(name);
        var bytes = new byte[64 * 1024];
        new Random(11).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<MediaFileException>(() => RunWithTimeout(() => ReadAll(new MediaFileReader(path, new EncodedPacketPool()))));

        Assert.Equal(path, error.FilePath);
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_GarbageRawH264_ErrorOrNothingDecodable_NeverAHang()
    {
        // Random bytes hold no start code worth the name: either no stream is found, or what comes out
        // holds no keyframe. Either way the reader ends, with no crash.
        var path = _clips.NewPath("garbage.h264");
        var bytes = new byte[64 * 1024];
        new Random(12).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);

        try
        {
            var packets = RunWithTimeout(() =>
            {
                using var reader = new MediaFileReader(path, new EncodedPacketPool());
                return ReadAll(reader);
            });
            Assert.DoesNotContain(packets, p => p.IsKeyframe);
            Release(packets);
        }
        catch (MediaFileException error)
        {
            Assert.Equal(path, error.FilePath);
        }
    }

    [Fact]
    public void Open_TruncatedMp4_MediaFileExceptionNamingTheFile()
    {
        // ffmpeg writes the index (moov) last: cutting the file loses it.
        var path = Truncate("h264.mp4", 0.6);

        var error = Assert.Throws<MediaFileException>(() => RunWithTimeout(() => new MediaFileReader(path, new EncodedPacketPool())));

        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_TruncatedIvf_MediaFileExceptionWithPacketAndOffset()
    {
        var path = Truncate("vp8.ivf", 0.6);
        var pool = new EncodedPacketPool();
        using var reader = new MediaFileReader(path, pool);
        var good = new List<EncodedPacket>();

        var error = Assert.Throws<MediaFileException>(() =>
        {
            while (reader.TryRead(out var packet))
            {
                good.Add(packet);
            }
        });

        Assert.InRange(good.Count, 1, MediaClips.FrameCount - 1);
        Assert.Equal(good.Count, error.PacketIndex);
        Assert.NotNull(error.ByteOffset);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Release(good);
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData("h264.mkv")]
    [InlineData("vp8.webm")]
    public void TryRead_TruncatedMatroska_ErrorOrShorterStream_NeverAHang(string name)
    {
        var path = Truncate(name, 0.6);
        var pool = new EncodedPacketPool();
        var packets = new List<EncodedPacket>();

        try
        {
            RunWithTimeout(() =>
            {
                using var reader = new MediaFileReader(path, pool);
                while (reader.TryRead(out var packet))
                {
                    packets.Add(packet);
                }

                return 0;
            });
            Assert.InRange(packets.Count, 1, MediaClips.FrameCount - 1);
        }
        catch (MediaFileException error)
        {
            Assert.Equal(path, error.FilePath);
        }

        Release(packets);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void Open_AudioOnly_NoVideoStream()
    {
        var path = _clips.NewPath("audio.mkv");
        MediaClips.Ffmpeg($"-f lavfi -i sine=duration=0.2 -c:a pcm_s16le \"{path}\"");

        var error = Assert.Throws<MediaFileException>(() => new MediaFileReader(path, new EncodedPacketPool()));

        Assert.Contains("no video stream", error.Message, StringComparison.Ordinal);
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_UnsupportedCodec_NotSupportedNamingCodecAndFile()
    {
        var path = _clips.NewPath("mpeg4.mkv");
        MediaClips.Ffmpeg($"-f lavfi -i testsrc2=size=64x48:rate=10 -frames:v 3 -c:v mpeg4 \"{path}\"");

        var error = Assert.Throws<NotSupportedException>(() => new MediaFileReader(path, new EncodedPacketPool()));

        Assert.Contains("mpeg4", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    internal static List<EncodedPacket> ReadAll(MediaFileReader reader)
    {
        var packets = new List<EncodedPacket>();
        while (reader.TryRead(out var packet))
        {
            packets.Add(packet);
        }

        return packets;
    }

    internal static void Release(List<EncodedPacket> packets)
    {
        foreach (var packet in packets)
        {
            packet.Release();
        }
    }

    /// <summary>NAL unit types in an Annex-B access unit.</summary>
    internal static List<int> NalTypes(ReadOnlySpan<byte> data)
    {
        var types = new List<int>();
        for (var i = 0; i + 3 < data.Length; i++)
        {
            if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1)
            {
                types.Add(data[i + 3] & 0x1F);
                i += 2;
            }
        }

        return types;
    }

    private static T RunWithTimeout<T>(Func<T> work)
    {
        try
        {
            return Task.Run(work).WaitAsync(Timeout).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            Assert.Fail($"reading did not finish within {Timeout}");
            throw;
        }
    }

    private string Truncate(string name, double fraction)
    {
        var bytes = File.ReadAllBytes(_clips.Get(name));
        var path = _clips.NewPath("cut-" + name);
        File.WriteAllBytes(path, bytes.AsSpan(0, (int)(bytes.Length * fraction)).ToArray());
        return path;
    }
}
