using Odyssey.Media;
using Odyssey.WebRtc.Payloads;

namespace Odyssey.WebRtc.Tests.Payloads;

/// <summary>Hand-built encoded frames and helpers shared by the payload and jitter buffer tests.</summary>
internal static class TestFrames
{
    /// <summary>A VP8-looking frame: the first byte's P bit says key (0) or delta (1); the rest is random.</summary>
    public static byte[] Vp8(int length, bool keyframe, int seed)
    {
        var frame = new byte[length];
        new Random(seed).NextBytes(frame);
        frame[0] = (byte)((frame[0] & 0xFE) | (keyframe ? 0 : 1));
        return frame;
    }

    /// <summary>An Annex-B access unit: SPS + PPS + IDR slice (keyframe) or one non-IDR slice, 4-byte start codes.</summary>
    public static byte[] H264(int sliceLength, bool keyframe, int seed)
    {
        var random = new Random(seed);
        var output = new List<byte>();
        if (keyframe)
        {
            AddNal(output, 0x67, 20, random);
            AddNal(output, 0x68, 5, random);
            AddNal(output, 0x65, sliceLength, random);
        }
        else
        {
            AddNal(output, 0x41, sliceLength, random);
        }

        return [.. output];
    }

    /// <summary>Packetizes <paramref name="frame"/> into a list of payloads, with their marker bits.</summary>
    public static List<(byte[] Payload, bool Marker)> Packetize(RtpPacketizer packetizer, byte[] frame)
    {
        var result = new List<(byte[], bool)>();
        var buffer = new byte[packetizer.MaxPayloadSize];
        packetizer.Begin(frame);
        while (packetizer.TryWriteNext(frame, buffer, out var written, out var marker))
        {
            result.Add((buffer.AsSpan(0, written).ToArray(), marker));
        }

        return result;
    }

    private static void AddNal(List<byte> output, byte header, int length, Random random)
    {
        output.AddRange([0, 0, 0, 1, header]);
        var body = new byte[length - 1];
        random.NextBytes(body);

        // Keep start-code-like patterns (and a trailing zero) out of the body, as emulation prevention does.
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] == 0)
            {
                body[i] = 0x5A;
            }
        }

        if (header is 0x65 or 0x41)
        {
            body[0] |= 0x80; // first_mb_in_slice = 0
        }

        output.AddRange(body);
    }
}
