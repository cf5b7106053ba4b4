using System.Buffers.Binary;

namespace Odyssey.WebRtc.Ice;

/// <summary>
/// The ChannelData message (RFC 8656 §12.4): a 2-byte channel number (0x4000–0x4FFF), a 2-byte length of
/// the application data, then the data. Over UDP no padding is added (§12.5), and a receiver accepts a
/// datagram longer than the length says (the rest is padding).
/// </summary>
internal static class TurnChannelData
{
    public const int HeaderLength = 4;

    /// <summary>RFC 8656 §12: the range a client may bind.</summary>
    public const ushort FirstChannel = 0x4000;

    public const ushort LastChannel = 0x4FFF;

    /// <summary>RFC 7983 §7: a first byte of 64..79 is ChannelData on a socket shared with STUN, DTLS and RTP.</summary>
    public static bool LooksLikeChannelData(ReadOnlySpan<byte> datagram) => datagram.Length >= HeaderLength && datagram[0] is >= 64 and <= 79;

    /// <summary>Writes the header and the data into <paramref name="into"/>; returns the bytes written.</summary>
    public static int Write(Span<byte> into, ushort channel, ReadOnlySpan<byte> data)
    {
        if (channel is < FirstChannel or > LastChannel)
        {
            throw new ArgumentOutOfRangeException(nameof(channel), channel, "a TURN channel number is 0x4000..0x4FFF");
        }

        if (data.Length > ushort.MaxValue || into.Length < HeaderLength + data.Length)
        {
            throw new ArgumentException($"ChannelData of {data.Length} bytes does not fit a buffer of {into.Length}", nameof(into));
        }

        BinaryPrimitives.WriteUInt16BigEndian(into, channel);
        BinaryPrimitives.WriteUInt16BigEndian(into[2..], (ushort)data.Length);
        data.CopyTo(into[HeaderLength..]);
        return HeaderLength + data.Length;
    }

    /// <summary>Reads a ChannelData datagram; false (nothing thrown) for a bad channel or a length past the end.</summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out ushort channel, out ReadOnlySpan<byte> data)
    {
        channel = 0;
        data = default;
        if (datagram.Length < HeaderLength)
        {
            return false;
        }

        channel = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (channel is < FirstChannel or > LastChannel || HeaderLength + length > datagram.Length)
        {
            return false;
        }

        data = datagram.Slice(HeaderLength, length);
        return true;
    }
}
