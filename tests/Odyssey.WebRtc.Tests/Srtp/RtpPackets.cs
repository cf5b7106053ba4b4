using System.Buffers.Binary;

namespace Odyssey.WebRtc.Tests.Srtp;

/// <summary>Builds plain RTP/RTCP packets for the SRTP tests.</summary>
internal static class RtpPackets
{
    internal static byte[] Rtp(ushort sequence, uint ssrc = 0x11223344, int payload = 160, int csrcs = 0, int extensionWords = -1)
    {
        int header = 12 + (4 * csrcs) + (extensionWords >= 0 ? 4 + (4 * extensionWords) : 0);
        var packet = new byte[header + payload];
        packet[0] = (byte)(0x80 | (extensionWords >= 0 ? 0x10 : 0) | csrcs);
        packet[1] = 96;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), sequence * 3000u);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), ssrc);
        int offset = 12 + (4 * csrcs);
        if (extensionWords >= 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset), 0xBEDE);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset + 2), (ushort)extensionWords);
        }

        for (int i = 0; i < payload; i++)
        {
            packet[header + i] = (byte)(i * 7 + sequence);
        }

        return packet;
    }

    /// <summary>A receiver report with one report block.</summary>
    internal static byte[] Rtcp(uint ssrc = 0x55667788)
    {
        var packet = new byte[32];
        packet[0] = 0x81;
        packet[1] = 201;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), 7);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), ssrc);
        for (int i = 8; i < packet.Length; i++)
        {
            packet[i] = (byte)i;
        }

        return packet;
    }
}
