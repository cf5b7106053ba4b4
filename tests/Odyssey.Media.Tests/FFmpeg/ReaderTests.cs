using System.Buffers.Binary;
using Odyssey.Media.Containers;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Media.Tests.FFmpeg;

public sealed class ReaderTests : IClassFixture<Clips>
{
    private readonly Clips _clips;

    public ReaderTests(Clips clips) => _clips = clips;

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    [InlineData(VideoCodec.Vp9)]
    [InlineData(VideoCodec.Av1)]
    public void Read_Clip_KeyframesExactlyAtGopStarts(VideoCodec codec)
    {
        var packets = new EncodedPacketPool();
        var keyframes = new List<long>();
        var count = 0;
        using var stream = File.OpenRead(_clips.Clip(codec));
        using var annexB = codec == VideoCodec.H264 ? new AnnexBReader(stream, packets) : null;
        var ivf = codec == VideoCodec.H264 ? null : new IvfReader(stream, packets);

        EncodedPacket? packet;
        while (annexB is not null ? annexB.TryRead(out packet) : ivf!.TryRead(out packet))
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

        Assert.Equal(Clips.FrameCount, count);
        Assert.Equal([0, Clips.KeyframeInterval, 2 * Clips.KeyframeInterval], keyframes);
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void IvfReader_Header_ReadsCodecSizeAndTimeBase()
    {
        using var stream = File.OpenRead(_clips.Clip(VideoCodec.Vp9));

        var reader = new IvfReader(stream, new EncodedPacketPool());

        Assert.Equal(VideoCodec.Vp9, reader.Codec);
        Assert.Equal(Clips.Width, reader.Width);
        Assert.Equal(Clips.Height, reader.Height);
        Assert.Equal(1u, reader.TimeBaseNumerator);
        Assert.Equal(30u, reader.TimeBaseDenominator);
    }

    [Fact]
    public void IvfReader_FramePts_ConvertedThroughTimeBase()
    {
        var header = IvfHeader("VP80", numerator: 1, denominator: 1000);
        var bytes = new byte[header.Length + 12 + 3];
        header.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(32), 3);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(36), 1500);
        bytes[44] = 0x10; // frame tag bit 0 clear: a key frame
        var packets = new EncodedPacketPool();
        var reader = new IvfReader(new MemoryStream(bytes), packets);

        Assert.True(reader.TryRead(out var packet));

        Assert.Equal(TimeSpan.FromMilliseconds(1500), packet.Pts);
        Assert.Equal(3, packet.Length);
        Assert.True(packet.IsKeyframe);
        packet.Release();
        Assert.False(reader.TryRead(out _));
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void IvfReader_NotIvf_ThrowsInvalidData()
    {
        var bytes = new byte[100];
        new Random(5).NextBytes(bytes);

        var error = Assert.Throws<InvalidDataException>(() => new IvfReader(new MemoryStream(bytes), new EncodedPacketPool()));

        Assert.Contains("DKIF", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IvfReader_UnknownFourcc_ThrowsNamingIt()
    {
        var error = Assert.Throws<InvalidDataException>(() => new IvfReader(new MemoryStream(IvfHeader("H265", 1, 30)), new EncodedPacketPool()));

        Assert.Contains("'H265'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IvfReader_HugeFrameSize_ThrowsWithoutAllocating()
    {
        var header = IvfHeader("VP90", 1, 30);
        var bytes = new byte[header.Length + 12];
        header.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(32), uint.MaxValue);
        var packets = new EncodedPacketPool();
        var reader = new IvfReader(new MemoryStream(bytes), packets);

        var error = Assert.Throws<InvalidDataException>(() => reader.TryRead(out _));

        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, packets.Allocated);
    }

    [Fact]
    public void AnnexBReader_EmptyStream_ReturnsNothing()
    {
        var packets = new EncodedPacketPool();
        using var reader = new AnnexBReader(new MemoryStream(), packets);

        Assert.False(reader.TryRead(out _));
        Assert.False(reader.TryRead(out _));
        Assert.Equal(0, packets.Outstanding);
    }

    [Fact]
    public void AnnexBReader_OneByteReads_SameAccessUnitsAsWholeFile()
    {
        // The parser must join units split across reads: feed it a stream that returns tiny chunks.
        var clip = File.ReadAllBytes(_clips.Clip(VideoCodec.H264));
        var packets = new EncodedPacketPool();
        var whole = ReadAll(new MemoryStream(clip), packets);
        var trickled = ReadAll(new TrickleStream(clip, 7), packets);

        Assert.Equal(whole.Count, trickled.Count);
        for (var i = 0; i < whole.Count; i++)
        {
            Assert.True(whole[i].AsSpan().SequenceEqual(trickled[i]), $"access unit {i} differs");
        }

        Assert.Equal(Clips.FrameCount, whole.Count);
        Assert.Equal(0, packets.Outstanding);
    }

    private static List<byte[]> ReadAll(Stream stream, EncodedPacketPool packets)
    {
        using var reader = new AnnexBReader(stream, packets);
        var units = new List<byte[]>();
        while (reader.TryRead(out var packet))
        {
            units.Add(packet.Data.ToArray());
            packet.Release();
        }

        return units;
    }

    private static byte[] IvfHeader(string fourcc, uint numerator, uint denominator)
    {
        var header = new byte[32];
        "DKIF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 32);
        System.Text.Encoding.ASCII.GetBytes(fourcc).CopyTo(header, 8);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(12), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(14), 48);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), denominator);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), numerator);
        return header;
    }

    /// <summary>A stream that returns at most a few bytes per read, like a slow socket.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
    }
}
