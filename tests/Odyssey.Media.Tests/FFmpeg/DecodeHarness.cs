using Odyssey.Media.Containers;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Media.Tests.FFmpeg;

/// <summary>Feeds a clip through a reader and a decoder, keeping each decoded frame's packed pixels and pts.</summary>
internal static class DecodeHarness
{
    public sealed record Result(List<byte[]> Frames, List<TimeSpan> Pts, long CorruptPackets, int KeyframeRequests);

    /// <summary>
    /// Decodes <paramref name="clip"/>; <paramref name="damage"/> may alter each packet before it is sent,
    /// and the first <paramref name="skip"/> packets are read but not sent.
    /// </summary>
    public static Result Decode(VideoCodec codec, string clip, VideoFramePool frames, EncodedPacketPool packets, int threads = 1, Action<EncodedPacket>? damage = null, int skip = 0)
    {
        using var decoder = new VideoDecoder(codec, frames, threads);
        var requests = 0;
        decoder.KeyframeRequested += (_, _) => requests++;
        var decoded = new List<byte[]>();
        var pts = new List<TimeSpan>();

        void Drain()
        {
            while (decoder.TryReceive(out var frame))
            {
                decoded.Add(Clips.Pack(frame));
                pts.Add(frame.Pts);
                frame.Release();
            }
        }

        using var reader = new MediaFileReader(clip, packets);
        Assert.Equal(codec, reader.Codec);
        while (reader.TryRead(out var packet))
        {
            if (packet.Index < skip)
            {
                packet.Release();
                continue;
            }

            SendAndRelease(decoder, packet, damage);
            Drain();
        }

        decoder.SendEndOfStream();
        Drain();
        return new Result(decoded, pts, decoder.CorruptPackets, requests);
    }

    private static void SendAndRelease(VideoDecoder decoder, EncodedPacket packet, Action<EncodedPacket>? damage)
    {
        try
        {
            damage?.Invoke(packet);
            decoder.Send(packet);
        }
        finally
        {
            packet.Release();
        }
    }
}
