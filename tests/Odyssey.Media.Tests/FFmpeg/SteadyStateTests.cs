using Odyssey.Media.Containers;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Media.Tests.FFmpeg;

public sealed class SteadyStateTests : IClassFixture<Clips>
{
    private readonly Clips _clips;

    public SteadyStateTests(Clips clips) => _clips = clips;

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    public void ReadAndDecode_SecondPass_AllocatesNothingManaged(VideoCodec codec)
    {
        var bytes = File.ReadAllBytes(_clips.Clip(codec));
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        using var decoder = new VideoDecoder(codec, frames);

        // The first pass fills the pools; the second must reuse them for every packet and frame.
        DecodeAll(codec, new MemoryStream(bytes), decoder, packets, out _);
        decoder.Reset();
        var stream = new MemoryStream(bytes);
        using var annexB = codec == VideoCodec.H264 ? new AnnexBReader(stream, packets) : null;
        var ivf = codec == VideoCodec.H264 ? null : new IvfReader(stream, packets);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var decoded = 0;
        EncodedPacket? packet;
        while (annexB is not null ? annexB.TryRead(out packet) : ivf!.TryRead(out packet))
        {
            decoder.Send(packet);
            packet.Release();
            while (decoder.TryReceive(out var frame))
            {
                decoded++;
                frame.Release();
            }
        }

        decoder.SendEndOfStream();
        while (decoder.TryReceive(out var frame))
        {
            decoded++;
            frame.Release();
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Clips.FrameCount, decoded);
        Assert.Equal(0, allocated);
        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    private static void DecodeAll(VideoCodec codec, Stream stream, VideoDecoder decoder, EncodedPacketPool packets, out int decoded)
    {
        decoded = 0;
        using var annexB = codec == VideoCodec.H264 ? new AnnexBReader(stream, packets) : null;
        var ivf = codec == VideoCodec.H264 ? null : new IvfReader(stream, packets);
        EncodedPacket? packet;
        while (annexB is not null ? annexB.TryRead(out packet) : ivf!.TryRead(out packet))
        {
            decoder.Send(packet);
            packet.Release();
            while (decoder.TryReceive(out var frame))
            {
                decoded++;
                frame.Release();
            }
        }

        decoder.SendEndOfStream();
        while (decoder.TryReceive(out var frame))
        {
            decoded++;
            frame.Release();
        }
    }
}
