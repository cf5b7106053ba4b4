using System.Text.Json.Nodes;
using Odyssey.Media.Containers;

namespace Odyssey.Media.Tests.Containers;

public sealed class MediaFileWriterTests : IClassFixture<MediaClips>
{
    private readonly MediaClips _clips;

    public MediaFileWriterTests(MediaClips clips) => _clips = clips;

    [Theory]
    [InlineData("h264.mp4", "out.mp4", "h264")]
    [InlineData("h264.mp4", "out.mkv", "h264")]
    [InlineData("h264.mkv", "out.mp4", "h264")]
    [InlineData("h264.h264", "out.mp4", "h264")]
    [InlineData("h264.h264", "out.mkv", "h264")]
    [InlineData("vp8.webm", "out.webm", "vp8")]
    [InlineData("vp8.ivf", "out.webm", "vp8")]
    [InlineData("vp8.ivf", "out.mkv", "vp8")]
    [InlineData("vp9.mkv", "out.webm", "vp9")]
    [InlineData("vp9.mkv", "out.mp4", "vp9")]
    public void Remux_Clip_FfprobeSeesCodecSizeAndEveryFrameAndPacketsAreIdentical(string input, string output, string codecName)
    {
        var pool = new EncodedPacketPool();
        var target = _clips.NewPath(output);

        using (var reader = new MediaFileReader(_clips.Get(input), pool))
        using (var writer = new MediaFileWriter(target, reader.StreamInfo))
        {
            Remux(reader, writer);
            Assert.True(writer.Complete());
            Assert.Equal(MediaClips.FrameCount, writer.PacketsWritten);
        }

        var probe = Probe(target);
        Assert.Equal(codecName, (string?)probe["codec_name"]);
        Assert.Equal(MediaClips.Width, (int?)probe["width"]);
        Assert.Equal(MediaClips.Height, (int?)probe["height"]);
        Assert.Equal(MediaClips.FrameCount.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)probe["nb_read_frames"]);
        AssertSamePackets(_clips.Get(input), target, pool);
        Assert.False(File.Exists(MediaFileWriter.PartialPathFor(target)));
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData("h264.mp4", "sized.mkv")]
    [InlineData("vp8.webm", "sized.webm")]
    public void Write_NoStreamInfo_SizeLearntFromTheFirstKeyframe(string input, string output)
    {
        var pool = new EncodedPacketPool();
        var target = _clips.NewPath(output);

        using (var reader = new MediaFileReader(_clips.Get(input), pool))
        using (var writer = new MediaFileWriter(target))
        {
            Remux(reader, writer);
            Assert.Equal((MediaClips.Width, MediaClips.Height), (writer.Width, writer.Height));
            writer.Complete();
        }

        var probe = Probe(target);
        Assert.Equal(MediaClips.Width, (int?)probe["width"]);
        Assert.Equal(MediaClips.Height, (int?)probe["height"]);
    }

    [Fact]
    public void Write_BeforeComplete_OnlyThePartialFileExists()
    {
        var pool = new EncodedPacketPool();
        var target = _clips.NewPath("pending.mp4");
        using var reader = new MediaFileReader(_clips.Get("h264.mp4"), pool);
        var writer = new MediaFileWriter(target, reader.StreamInfo);

        Remux(reader, writer);

        Assert.True(File.Exists(writer.PartialPath));
        Assert.False(File.Exists(target));

        // Interrupted: disposed without Complete. The final name never appears.
        writer.Dispose();
        Assert.False(File.Exists(target));
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void Write_StartsMidGop_SkipsUntilTheKeyframeAndStartsAtZero()
    {
        var pool = new EncodedPacketPool();
        var target = _clips.NewPath("midgop.mkv");
        using (var reader = new MediaFileReader(_clips.Get("h264.mp4"), pool))
        using (var writer = new MediaFileWriter(target, reader.StreamInfo))
        {
            for (var i = 0; i < 5; i++)
            {
                Assert.True(reader.TryRead(out var dropped));
                dropped.Release();
            }

            Remux(reader, writer);
            writer.Complete();

            Assert.Equal(5, writer.PacketsSkipped);
            Assert.Equal(MediaClips.FrameCount - MediaClips.KeyframeInterval, writer.PacketsWritten);
        }

        using var written = new MediaFileReader(target, pool);
        Assert.True(written.TryRead(out var first));
        Assert.True(first.IsKeyframe);
        Assert.Equal(TimeSpan.Zero, first.Pts);
        first.Release();
    }

    [Fact]
    public void Complete_NoKeyframeEver_WritesNothing()
    {
        var target = _clips.NewPath("empty.mp4");
        var pool = new EncodedPacketPool();
        var packet = pool.Rent(10);
        packet.Codec = VideoCodec.H264;
        using var writer = new MediaFileWriter(target);

        writer.Write(packet);
        packet.Release();

        Assert.False(writer.Complete());
        Assert.False(File.Exists(target));
        Assert.False(File.Exists(writer.PartialPath));
        Assert.Equal(1, writer.PacketsSkipped);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void Write_TimestampsGoBack_MediaFileExceptionNamingThePacket()
    {
        var pool = new EncodedPacketPool();
        var target = _clips.NewPath("backwards.mkv");
        using var reader = new MediaFileReader(_clips.Get("vp8.webm"), pool);
        using var writer = new MediaFileWriter(target, reader.StreamInfo);
        var packets = MediaFileReaderTests.ReadAll(reader);
        writer.Write(packets[0]);
        writer.Write(packets[2]);
        writer.Write(packets[1]);

        var error = Assert.Throws<MediaFileException>(() => writer.Write(packets[3]));

        Assert.Equal(2, error.PacketIndex);
        Assert.Contains(target, error.Message, StringComparison.Ordinal);
        MediaFileReaderTests.Release(packets);
        writer.Dispose();
        Assert.False(File.Exists(target));
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData("clip.avi")]
    [InlineData("clip.ivf")]
    [InlineData("clip.h264")]
    public void Create_UnwritableExtension_NotSupportedNamingTheFile(string name)
    {
        var error = Assert.Throws<NotSupportedException>(() => new MediaFileWriter(name));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_H264IntoWebM_NotSupported()
    {
        var error = Assert.Throws<NotSupportedException>(() => new MediaFileWriter("clip.webm", new VideoStreamInfo(VideoCodec.H264, 64, 48)));

        Assert.Contains("WebM", error.Message, StringComparison.Ordinal);
    }

    internal static void Remux(MediaFileReader reader, MediaFileWriter writer)
    {
        while (reader.TryRead(out var packet))
        {
            try
            {
                writer.Write(packet);
            }
            finally
            {
                packet.Release();
            }
        }
    }

    /// <summary>The first video stream as ffprobe reports it, with frames counted by decoding.</summary>
    internal static JsonNode Probe(string path)
    {
        var json = MediaClips.Run("ffprobe", $"-v error -count_frames -select_streams v:0 -show_streams -of json \"{path}\"");
        return JsonNode.Parse(json)!["streams"]![0]!;
    }

    /// <summary>Both files, read with the reader, hold the same packets: bytes, keyframe flags, times (to the ms).</summary>
    internal static void AssertSamePackets(string expectedPath, string actualPath, EncodedPacketPool pool)
    {
        using var expectedReader = new MediaFileReader(expectedPath, pool);
        using var actualReader = new MediaFileReader(actualPath, pool);
        var expected = MediaFileReaderTests.ReadAll(expectedReader);
        var actual = MediaFileReaderTests.ReadAll(actualReader);
        try
        {
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.True(expected[i].Data.SequenceEqual(actual[i].Data), $"packet {i} differs ({expected[i].Length} vs {actual[i].Length} bytes)");
                Assert.Equal(expected[i].IsKeyframe, actual[i].IsKeyframe);
                Assert.Equal(expected[i].Pts.TotalMilliseconds, actual[i].Pts.TotalMilliseconds, 1.0);
            }
        }
        finally
        {
            MediaFileReaderTests.Release(expected);
            MediaFileReaderTests.Release(actual);
        }
    }
}
