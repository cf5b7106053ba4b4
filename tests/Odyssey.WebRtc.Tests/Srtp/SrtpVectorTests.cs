using Odyssey.WebRtc.Srtp;

namespace Odyssey.WebRtc.Tests.Srtp;

/// <summary>Known-answer tests: RFC 3711 Appendix B, RFC 7714 §16, and libsrtp's driver packet.</summary>
public sealed class SrtpVectorTests
{
    // RFC 3711 Appendix B.3.
    private static readonly byte[] B3MasterKey = Hex.Parse("E1F97A0D3E018BE0D64FA32C06DE4139");
    private static readonly byte[] B3MasterSalt = Hex.Parse("0EC675AD498AFEEBB6960B3AABE6");

    [Fact]
    public void KeyDerivation_Rfc3711AppendixB3_MatchesSessionKeys()
    {
        SrtpSessionKeys keys = SrtpKeyDerivation.Derive(
            new SrtpMasterKey(SrtpProfile.Aes128CmHmacSha1_80, B3MasterKey, B3MasterSalt));

        Assert.Equal(Hex.Parse("C61E7A93744F39EE10734AFE3FF7A087"), keys.RtpKey);
        Assert.Equal(Hex.Parse("30CBBC08863D8C85D49DB34A9AE1"), keys.RtpSalt);
        Assert.Equal(Hex.Parse("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"), keys.RtpAuthKey);
    }

    [Fact]
    public void KeyDerivation_Rfc3711AppendixB3_LongerAuthKeyContinuesTheKeystream()
    {
        // B.3 prints 94 bytes of auth-key output; the first 48 show the PRF runs across blocks.
        using var prf = new AesCounterMode(B3MasterKey);
        byte[] auth = SrtpKeyDerivation.Derive(prf, B3MasterSalt, SrtpKeyDerivation.RtpAuthentication, 48);

        Assert.Equal(
            Hex.Parse("CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE E049646C43D9327AD175578EF7227098"),
            auth);
    }

    [Fact]
    public void AesCounterMode_Rfc3711AppendixB2_ProducesKeystream()
    {
        // B.2: session key and salt given, SSRC 0, index 0; encrypting zeros yields the keystream.
        byte[] sessionKey = Hex.Parse("2B7E151628AED2A6ABF7158809CF4F3C");
        byte[] sessionSalt = Hex.Parse("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
        using var cipher = new AesCounterMode(sessionKey);
        Span<byte> iv = stackalloc byte[16];
        AesCmHmacSha1Cipher.BuildIv(iv, sessionSalt, ssrc: 0, index: 0);
        var keystream = new byte[0xFF02 * 16];

        cipher.Apply(iv, keystream);

        Assert.Equal(Hex.Parse("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"), iv.ToArray());
        Assert.Equal(Hex.Parse("E03EAD0935C95E80E166B16DD92B4EB4"), keystream[..16]);
        Assert.Equal(Hex.Parse("D23513162B02D0F72A43A2FE4A5F97AB"), keystream[16..32]);
        Assert.Equal(Hex.Parse("41E95B3BB0A2E8DD477901E4FCA894C0"), keystream[32..48]);
        Assert.Equal(Hex.Parse("EC8CDF7398607CB0F2D21675EA9EA1E4"), keystream[(0xFEFF * 16)..(0xFF00 * 16)]);
        Assert.Equal(Hex.Parse("362B7C3C6773516318A077D7FC5073AE"), keystream[(0xFF00 * 16)..(0xFF01 * 16)]);
        Assert.Equal(Hex.Parse("6A2CC3787889374FBEB4C81B17BA6C44"), keystream[(0xFF01 * 16)..(0xFF02 * 16)]);
    }

    [Fact]
    public void ProtectRtp_LibsrtpDriverPacket_MatchesReference()
    {
        // libsrtp's srtp_driver known packet: the B.3 master key, SSRC 0xCAFEBABE, seq 0x1234.
        byte[] plain = Hex.Parse("800f1234decafbadcafebabe abababababababababababababababab");
        byte[] expected = Hex.Parse("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb");
        var key = new SrtpMasterKey(SrtpProfile.Aes128CmHmacSha1_80, B3MasterKey, B3MasterSalt);
        using var sender = new SrtpContext(key);
        using var receiver = new SrtpContext(key);
        var buffer = new byte[64];
        plain.CopyTo(buffer, 0);

        Assert.Equal(SrtpError.None, sender.ProtectRtp(buffer, plain.Length, out int protectedLength));
        Assert.Equal(expected, buffer[..protectedLength]);
        Assert.Equal(SrtpError.None, receiver.UnprotectRtp(buffer.AsSpan(0, protectedLength), out int length));
        Assert.Equal(plain, buffer[..length]);
    }

    // RFC 7714 §16: session key and salt given directly (no KDF).
    private static SrtpSessionKeys GcmSessionKeys() => new()
    {
        RtpKey = Hex.Parse("000102030405060708090a0b0c0d0e0f"),
        RtpSalt = Hex.Parse("517569642070726f2071756f"),
        RtpAuthKey = [],
        RtcpKey = Hex.Parse("000102030405060708090a0b0c0d0e0f"),
        RtcpSalt = Hex.Parse("517569642070726f2071756f"),
        RtcpAuthKey = [],
    };

    private static readonly byte[] GcmRtpPlain = Hex.Parse(
        "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573");

    private static readonly byte[] GcmRtpProtected = Hex.Parse(
        "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833" +
        "899d7f27 beb16a91 52cf765e e4390cce");

    [Fact]
    public void AesGcmNonce_Rfc7714Section16_MatchesIv()
    {
        Span<byte> nonce = stackalloc byte[12];
        AesGcmCipher.BuildNonce(nonce, Hex.Parse("517569642070726f2071756f"), 0x5501a0b2, 0xf17b);

        Assert.Equal(Hex.Parse("51753c6580c2726f20718414"), nonce.ToArray());
    }

    [Fact]
    public void AesGcmProtectRtp_Rfc7714Section16_MatchesCiphertextAndTag()
    {
        using var cipher = new AesGcmCipher(GcmSessionKeys());
        var buffer = new byte[GcmRtpPlain.Length + 16];
        GcmRtpPlain.CopyTo(buffer, 0);

        cipher.ProtectRtp(buffer, headerLength: 12, GcmRtpPlain.Length, ssrc: 0x5501a0b2, index: 0xf17b);

        Assert.Equal(GcmRtpProtected, buffer);
    }

    [Fact]
    public void AesGcmUnprotectRtp_Rfc7714Section16_RecoversPlaintext()
    {
        using var cipher = new AesGcmCipher(GcmSessionKeys());
        byte[] buffer = GcmRtpProtected.ToArray();

        Assert.True(cipher.UnprotectRtp(buffer, headerLength: 12, GcmRtpPlain.Length, ssrc: 0x5501a0b2, index: 0xf17b));
        Assert.Equal(GcmRtpPlain, buffer[..GcmRtpPlain.Length]);
    }

    private static readonly byte[] GcmRtcpPlain = Hex.Parse(
        "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");

    private static readonly byte[] GcmRtcpProtected = Hex.Parse(
        "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b" +
        "c84aa458 96cf4d2f c5abf872 45d9eade 800005d4");

    [Fact]
    public void AesGcmProtectRtcp_Rfc7714Section17_MatchesCiphertextTagAndIndex()
    {
        using var cipher = new AesGcmCipher(GcmSessionKeys());
        var buffer = new byte[GcmRtcpPlain.Length + 20];
        GcmRtcpPlain.CopyTo(buffer, 0);

        int length = cipher.ProtectRtcp(buffer, GcmRtcpPlain.Length, ssrc: 0x4d617273, index: 0x5d4);

        Assert.Equal(GcmRtcpProtected.Length, length);
        Assert.Equal(GcmRtcpProtected, buffer);
    }

    [Fact]
    public void AesGcmUnprotectRtcp_Rfc7714Section17_RecoversPlaintext()
    {
        using var cipher = new AesGcmCipher(GcmSessionKeys());
        byte[] buffer = GcmRtcpProtected.ToArray();

        Assert.True(cipher.UnprotectRtcp(buffer, buffer.Length, 0x4d617273, 0x800005d4, out int length));
        Assert.Equal(GcmRtcpPlain, buffer[..length]);
    }

    [Fact]
    public void FromDtlsExport_Rfc5764Layout_SplitsKeysAndSalts()
    {
        byte[] exported = Enumerable.Range(0, 60).Select(i => (byte)i).ToArray();

        (SrtpMasterKey client, SrtpMasterKey server) = SrtpMasterKey.FromDtlsExport(SrtpProfile.Aes128CmHmacSha1_80, exported);

        Assert.Equal(exported[..16], client.Key.ToArray());
        Assert.Equal(exported[16..32], server.Key.ToArray());
        Assert.Equal(exported[32..46], client.Salt.ToArray());
        Assert.Equal(exported[46..60], server.Salt.ToArray());
        Assert.Throws<ArgumentException>(() => SrtpMasterKey.FromDtlsExport(SrtpProfile.AeadAes128Gcm, exported));
        Assert.Equal(56, SrtpMasterKey.DtlsExportLength(SrtpProfile.AeadAes128Gcm));
    }
}
