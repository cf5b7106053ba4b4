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
        var frames = new VideoFramePool();
        var packets = new EncodedPacketPool();
        using var reader = new MediaFileReader(_clips.Clip(codec), packets);
        using var decoder = new VideoDecoder(codec, frames);

        // The first pass fills the pools; the second (after a seek back) must reuse them for every packet and frame.
        DecodeAll(reader, decoder);
        reader.Seek(TimeSpan.Zero);
        decoder.Reset();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var decoded = DecodeAll(reader, decoder);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Clips.FrameCount, decoded);
        Assert.Equal(0, allocated);
        Assert.Equal(0, frames.Outstanding);
        Assert.Equal(0, packets.Outstanding);
    }

    private static int DecodeAll(MediaFileReader reader, VideoDecoder decoder)
    {
        var decoded = 0;
        while (reader.TryRead(out var packet))
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

        return decoded;
    }
}
