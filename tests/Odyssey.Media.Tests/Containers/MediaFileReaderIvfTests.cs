using System.Buffers.Binary;
using Odyssey.Media.Containers;
using Odyssey.Media.Tests.FFmpeg;

namespace Odyssey.Media.Tests.Containers;

/// <summary>Every codec through the reader (IVF for VP8/VP9/AV1, raw Annex-B for H.264), and hand-made IVF files.</summary>
public sealed class MediaFileReaderIvfTests : IClassFixture<Clips>, IDisposable
{
    private readonly Clips _clips;
    private readonly string _folder = Directory.CreateTempSubdirectory("odyssey-ivf-").FullName;

    public MediaFileReaderIvfTests(Clips clips) => _clips = clips;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    [InlineData(VideoCodec.Vp9)]
    [InlineData(VideoCodec.Av1)]
    public void TryRead_EachCodec_KeyframesExactlyAtGopStarts(VideoCodec codec)
    {
        var packets = new EncodedPacketPool();
        var keyframes = new List<long>();
        var count = 0;
        using var reader = new MediaFileReader(_clips.Clip(codec), packets);

        while (reader.TryRead(out var packet))
        {
            Assert.Equal(count, packet.Index);
            Assert.Equal(codec, packet.Codec);
            if (packet.IsKeyframe)
            {
                keyframes.Add(packet.Index);
            }

            count++;
            packet.Release();
        }

        Assert.Equal(codec, reader.Codec);
        Assert.Equal((Clips.Width, Clips.Height), (reader.Width, reader.Height));
        Assert.Equal(Clips.FrameCount, count);
        Assert.Equal([0, Clips.KeyframeInterval, 2 * Clips.KeyframeInterval], keyframes);
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void TryRead_IvfTimeBase_PtsConvertedThroughIt()
    {
        var first = Ivf("VP80", numerator: 1, denominator: 1000, frameSize: 3, pts: 0);
        first[^3] = 0x10; // frame tag bit 0 clear: a key frame
        var bytes = first.Concat(Frame(frameSize: 3, pts: 1500)).ToArray();
        bytes[^3] = 0x11; // an inter frame
        var packets = new EncodedPacketPool();
        using var reader = new MediaFileReader(Write("timebase.ivf", bytes), packets);

        Assert.True(reader.TryRead(out var key));
        Assert.True(reader.TryRead(out var inter));

        Assert.Equal(TimeSpan.Zero, key.Pts);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), inter.Pts);
        Assert.Equal(3, inter.Length);
        Assert.True(key.IsKeyframe);
        Assert.False(inter.IsKeyframe);
        key.Release();
        inter.Release();
        Assert.False(reader.TryRead(out _));
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void Open_IvfWithUnknownFourcc_NotSupportedNamingTheCodec()
    {
        var path = Write("hevc.ivf", Ivf("H265", 1, 30, frameSize: 0, pts: 0)[..32]);

        var error = Assert.ThrowsAny<Exception>(() => new MediaFileReader(path, new EncodedPacketPool()));

        Assert.True(error is NotSupportedException or MediaFileException, error.ToString());
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_IvfHugeFrameSize_MediaFileExceptionWithoutAllocating()
    {
        var bytes = Ivf("VP80", 1, 30, frameSize: 0, pts: 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(32), uint.MaxValue);
        var packets = new EncodedPacketPool();

        var error = Assert.Throws<MediaFileException>(() =>
        {
            using var reader = new MediaFileReader(Write("huge.ivf", bytes), packets);
            while (reader.TryRead(out var packet))
            {
                packet.Release();
            }
        });

        Assert.Equal(0, error.PacketIndex);
        Assert.Equal(0, packets.Allocated);
    }

    [Fact]
    public void Open_EmptyRawH264_MediaFileException()
    {
        var path = Write("empty.h264", []);

        var error = Assert.Throws<MediaFileException>(() => new MediaFileReader(path, new EncodedPacketPool()));

        Assert.Equal(path, error.FilePath);
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A 32-byte IVF header (64x48) and one frame header with <paramref name="frameSize"/> zero bytes.</summary>
    private static byte[] Ivf(string fourcc, uint numerator, uint denominator, int frameSize, long pts)
    {
        var bytes = new byte[32 + 12 + frameSize];
        "DKIF"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), 32);
        System.Text.Encoding.ASCII.GetBytes(fourcc).CopyTo(bytes, 8);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(12), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(14), 48);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), denominator);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), numerator);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), 1);
        Frame(frameSize, pts).CopyTo(bytes, 32);
        return bytes;
    }

    /// <summary>An IVF frame header and <paramref name="frameSize"/> zero bytes.</summary>
    private static byte[] Frame(int frameSize, long pts)
    {
        var bytes = new byte[12 + frameSize];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)frameSize);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(4), pts);
        return bytes;
    }
}
