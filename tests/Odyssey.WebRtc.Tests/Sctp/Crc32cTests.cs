using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.Sctp;

public sealed class Crc32cTests
{
    // RFC 3720 appendix B.4 vectors.
    [Fact]
    public void Compute_Rfc3720Vectors_MatchPublishedValues()
    {
        var zeros = new byte[32];
        var ones = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        var ascending = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var descending = Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray();

        Assert.Equal(0x8A9136AAu, Crc32c.Compute(zeros));
        Assert.Equal(0x62A8AB43u, Crc32c.Compute(ones));
        Assert.Equal(0x46DD794Eu, Crc32c.Compute(ascending));
        Assert.Equal(0x113FDB5Cu, Crc32c.Compute(descending));
    }

    [Fact]
    public void Compute_CheckString_MatchesCatalogueValue()
    {
        Assert.Equal(0xE3069283u, Crc32c.Compute("123456789"u8));
    }

    [Fact]
    public void Compute_EveryLength_SlicedPathEqualsBytewiseReference()
    {
        var data = Enumerable.Range(0, 100).Select(i => (byte)((i * 37) + 11)).ToArray();
        for (var length = 0; length <= data.Length; length++)
        {
            Assert.Equal(Reference(data.AsSpan(0, length)), Crc32c.Compute(data.AsSpan(0, length)));
        }
    }

    private static uint Reference(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }
}
