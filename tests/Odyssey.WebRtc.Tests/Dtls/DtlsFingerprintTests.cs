using CsCheck;
using Odyssey.WebRtc.Dtls;

namespace Odyssey.WebRtc.Tests.Dtls;

public sealed class DtlsFingerprintTests
{
    [Fact]
    public void Generate_Certificate_IsP256WithSha256FingerprintInSdpForm()
    {
        DtlsCertificate certificate = DtlsCertificate.Generate();

        string text = certificate.Fingerprint.ToString();
        Assert.Matches("^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$", text);
        Assert.Equal("1.2.840.10045.4.3.2", certificate.BcCertificate.SigAlgOid); // ecdsa-with-SHA256
        var publicKey = Assert.IsType<Org.BouncyCastle.Crypto.Parameters.ECPublicKeyParameters>(certificate.BcCertificate.GetPublicKey());
        Assert.Equal("1.2.840.10045.3.1.7", publicKey.PublicKeyParamSet.Id); // prime256v1
        Assert.True(certificate.Fingerprint.Matches(certificate.DerEncoded));
        Assert.True(certificate.NotBefore < DateTimeOffset.UtcNow && DateTimeOffset.UtcNow < certificate.NotAfter);
    }

    [Fact]
    public void Generate_TwoCertificates_DifferentFingerprints()
    {
        Assert.NotEqual(DtlsCertificate.Generate().Fingerprint, DtlsCertificate.Generate().Fingerprint);
    }

    [Theory]
    [InlineData("sha-1")]
    [InlineData("sha-256")]
    [InlineData("sha-384")]
    [InlineData("SHA-512")]
    public void Parse_ToStringOfEachAlgorithm_RoundTripsAndMatches(string algorithm)
    {
        DtlsCertificate certificate = DtlsCertificate.Generate();
        DtlsFingerprint fingerprint = certificate.ComputeFingerprint(algorithm);

        DtlsFingerprint parsed = DtlsFingerprint.Parse(fingerprint.ToString().ToLowerInvariant());

        Assert.Equal(fingerprint, parsed);
        Assert.Equal(algorithm.ToLowerInvariant(), parsed.Algorithm);
        Assert.True(parsed.Matches(certificate.DerEncoded));
        Assert.False(parsed.Matches(DtlsCertificate.Generate().DerEncoded));
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha-256")]
    [InlineData("md5 AB:CD")]
    [InlineData("sha-256 AB:CD")]
    [InlineData("sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:0G")]
    [InlineData("sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:012")]
    public void TryParse_Malformed_ReturnsFalseAndParseThrowsFormatException(string text)
    {
        Assert.False(DtlsFingerprint.TryParse(text, out _));
        FormatException exception = Assert.Throws<FormatException>(() => DtlsFingerprint.Parse(text));
        Assert.Contains("a=fingerprint", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AiortcSdpValue_Accepted()
    {
        // The value form of testdata/sdp aiortc offers: upper-case pairs.
        string value = "sha-256 " + string.Join(':', Enumerable.Range(0, 32).Select(i => (i * 7 % 256).ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

        DtlsFingerprint fingerprint = DtlsFingerprint.Parse(value);

        Assert.Equal(value, fingerprint.ToString());
    }

    [Theory]
    [InlineData("active", DtlsRole.Client)]
    [InlineData("passive", DtlsRole.Server)]
    public void FromLocalSetup_ActiveOrPassive_GivesRole(string setup, DtlsRole role)
    {
        Assert.Equal(role, DtlsRoles.FromLocalSetup(setup));
        Assert.Throws<ArgumentException>(() => DtlsRoles.FromLocalSetup("actpass"));
    }

    [Theory]
    [InlineData(new byte[] { 0, 1 }, DatagramKind.Stun)]
    [InlineData(new byte[] { 22, 254, 253 }, DatagramKind.Dtls)]
    [InlineData(new byte[] { 0x80, 96 }, DatagramKind.Rtp)]
    [InlineData(new byte[] { 0x81, 200 }, DatagramKind.Rtcp)]
    [InlineData(new byte[] { 70 }, DatagramKind.Unknown)]
    [InlineData(new byte[] { }, DatagramKind.Unknown)]
    public void Classify_FirstByte_Rfc7983Kind(byte[] datagram, DatagramKind kind)
    {
        Assert.Equal(kind, DatagramDemux.Classify(datagram));
    }

    [Fact]
    public void TryParse_RandomAndMutatedText_NeverThrows()
    {
        string valid = DtlsCertificate.Generate().Fingerprint.ToString();
        Gen.String.Sample(text => Assert.False(DtlsFingerprint.TryParse(text, out _)), iter: 2_000);
        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Char).Sample(mutation =>
        {
            char[] chars = valid.ToCharArray();
            chars[mutation.Item1] = mutation.Item2;
            string text = new(chars);
            if (DtlsFingerprint.TryParse(text, out DtlsFingerprint? parsed))
            {
                Assert.Equal(parsed, DtlsFingerprint.Parse(parsed.ToString()));
            }
        }, iter: 2_000);
    }
}
