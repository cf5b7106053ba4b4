using Odyssey.Media;
using Odyssey.WebRtc.Payloads;
using Odyssey.WebRtc.Rtp;

namespace Odyssey.Benchmarks;

/// <summary>
/// Random frames shaped like VP8 or Annex-B H.264 (SPS + PPS before an IDR slice; no start codes inside the
/// data), packetized into RTP with a mid extension: the input of the receive-path benchmarks. Random bytes
/// cost the same to move as real bitstream.
/// </summary>
internal static class RtpFrames
{
    public static (byte[][] Packets, int[] Lengths) Packetize(VideoCodec codec, byte[] frame, byte payloadType, uint ssrc)
    {
        var packetizer = RtpPacketizer.Create(codec);
        var packets = new List<byte[]>();
        var lengths = new List<int>();
        packetizer.Begin(frame);
        while (true)
        {
            var buffer = new byte[1500];
            var writer = new RtpPacketWriter(buffer, payloadType, 0, 0, ssrc, marker: false);
            writer.AddExtension(1, "0"u8);
            if (!packetizer.TryWriteNext(frame, writer.Payload, out var written, out var marker))
            {
                break;
            }

            lengths.Add(writer.Complete(written));
            if (marker)
            {
                buffer[1] |= 0x80;
            }

            packets.Add(buffer);
        }

        return ([.. packets], [.. lengths]);
    }

    public static byte[] Make(VideoCodec codec, int size, bool keyframe)
    {
        var frame = new byte[size];
        new Random(size).NextBytes(frame);
        if (codec == VideoCodec.Vp8)
        {
            frame[0] = (byte)((frame[0] & 0xFE) | (keyframe ? 0 : 1));
            return frame;
        }

        for (var i = 0; i < frame.Length; i++)
        {
            if (frame[i] == 0)
            {
                frame[i] = 0x5A;
            }
        }

        var at = 0;
        if (keyframe)
        {
            at = Nal(frame, at, 0x67, 20);
            at = Nal(frame, at, 0x68, 6);
        }

        Nal(frame, at, keyframe ? (byte)0x65 : (byte)0x41, size - at - 4);
        return frame;
    }

    private static int Nal(byte[] frame, int at, byte header, int length)
    {
        frame[at] = 0;
        frame[at + 1] = 0;
        frame[at + 2] = 0;
        frame[at + 3] = 1;
        frame[at + 4] = header;
        return at + 4 + length;
    }
}
