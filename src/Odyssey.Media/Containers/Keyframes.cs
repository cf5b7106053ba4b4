namespace Odyssey.Media.Containers;

/// <summary>
/// Tells from the first bytes of a packet whether it is a keyframe, per codec, without decoding.
/// Readers use it to set <see cref="EncodedPacket.IsKeyframe"/> where the container does not say.
/// </summary>
public static class Keyframes
{
    private const int H264NalIdr = 5;           // H.264 §7.4.1.2: nal_unit_type 5 = IDR slice.
    private const int Av1ObuSequenceHeader = 1; // AV1 §6.2.2: obu_type 1.

    /// <summary>True when <paramref name="data"/> starts a picture that decodes on its own.</summary>
    public static bool IsKeyframe(VideoCodec codec, ReadOnlySpan<byte> data) => codec switch
    {
        VideoCodec.H264 => H264HasIdr(data),
        VideoCodec.Vp8 => Vp8IsKey(data),
        VideoCodec.Vp9 => Vp9IsKey(data),
        VideoCodec.Av1 => Av1HasSequenceHeader(data),
        _ => false,
    };

    /// <summary>Scans an Annex-B access unit for an IDR slice.</summary>
    private static bool H264HasIdr(ReadOnlySpan<byte> data)
    {
        for (var i = 0; i + 3 < data.Length; i++)
        {
            // Both 3- and 4-byte start codes end in 00 00 01.
            if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1)
            {
                if ((data[i + 3] & 0x1F) == H264NalIdr)
                {
                    return true;
                }

                i += 2;
            }
        }

        return false;
    }

    /// <summary>RFC 6386 §9.1: bit 0 of the frame tag is 0 for a key frame.</summary>
    private static bool Vp8IsKey(ReadOnlySpan<byte> data) => data.Length > 0 && (data[0] & 0x01) == 0;

    /// <summary>VP9 §6.2 uncompressed header: frame_marker, profile, show_existing_frame, frame_type (0 = key).</summary>
    private static bool Vp9IsKey(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0 || (data[0] >> 6) != 0b10)
        {
            return false;
        }

        // Bit positions from the most significant: marker 0-1, profile_low_bit 2, profile_high_bit 3.
        var bit = 4;
        var profile = ((data[0] >> 5) & 1) | (((data[0] >> 4) & 1) << 1);
        if (profile == 3)
        {
            bit++; // reserved_zero
        }

        var showExisting = (data[0] >> (7 - bit)) & 1;
        bit++;
        if (showExisting == 1)
        {
            return false;
        }

        return ((data[0] >> (7 - bit)) & 1) == 0;
    }

    /// <summary>
    /// AV1 encoders repeat the sequence header with every key frame (random access point), so its
    /// presence in a temporal unit marks one. A heuristic, but what RTP payloaders use too.
    /// </summary>
    private static bool Av1HasSequenceHeader(ReadOnlySpan<byte> data)
    {
        var position = 0;
        while (position < data.Length)
        {
            var header = data[position++];
            var type = (header >> 3) & 0x0F;
            var hasExtension = (header & 0x04) != 0;
            var hasSize = (header & 0x02) != 0;
            if (type == Av1ObuSequenceHeader)
            {
                return true;
            }

            if (hasExtension)
            {
                position++;
            }

            if (!hasSize)
            {
                return false; // the OBU runs to the end of the unit
            }

            // leb128 size, at most 8 bytes (AV1 §4.10.5).
            long size = 0;
            for (var i = 0; i < 8 && position < data.Length; i++)
            {
                var b = data[position++];
                size |= (long)(b & 0x7F) << (7 * i);
                if ((b & 0x80) == 0)
                {
                    break;
                }
            }

            if (size > data.Length - position)
            {
                return false;
            }

            position += (int)size;
        }

        return false;
    }
}
