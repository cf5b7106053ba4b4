namespace Odyssey.WebRtc.Ice;

/// <summary>
/// The ISO-HDLC CRC-32 the STUN FINGERPRINT uses (RFC 8489 §14.7). Written here because the in-box
/// crypto has no CRC and System.IO.Hashing would be a package for twenty lines.
/// </summary>
internal static class StunCrc32
{
    private const uint ReflectedPolynomial = 0xEDB88320;

    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        var table = Table;
        foreach (var b in data)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? ReflectedPolynomial ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
