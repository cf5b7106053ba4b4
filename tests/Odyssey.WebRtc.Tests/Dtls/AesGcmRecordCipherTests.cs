using Odyssey.WebRtc.Dtls;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Tls;

namespace Odyssey.WebRtc.Tests.Dtls;

/// <summary>The .NET AES-GCM record cipher must seal exactly as BouncyCastle's GCM does, in place, and reject forgeries as a TLS alert.</summary>
public sealed class AesGcmRecordCipherTests
{
    private static readonly byte[] Key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
    private static readonly byte[] Nonce = Convert.FromHexString("a0a1a2a3a4a5a6a7a8a9aaab");
    private static readonly byte[] Aad = Convert.FromHexString("00000000000000011703030010");

    [Fact]
    public void Encrypt_InPlace_SameBytesAsBouncyCastleGcm()
    {
        var plaintext = new byte[1163];
        new Random(1).NextBytes(plaintext);
        var ours = new byte[8 + plaintext.Length + 16];
        plaintext.CopyTo(ours, 8);
        using var cipher = new AesGcmRecordCipher(encrypting: true);
        cipher.SetKey(Key, 0, Key.Length);
        cipher.Init(Nonce, 16, Aad);

        var written = cipher.DoFinal(ours, 8, plaintext.Length, ours, 8);

        var gcm = new GcmBlockCipher(new AesEngine());
        gcm.Init(true, new AeadParameters(new KeyParameter(Key), 128, Nonce, Aad));
        var theirs = new byte[gcm.GetOutputSize(plaintext.Length)];
        var length = gcm.ProcessBytes(plaintext, 0, plaintext.Length, theirs, 0);
        length += gcm.DoFinal(theirs, length);
        Assert.Equal(length, written);
        Assert.Equal(theirs, ours.AsSpan(8, written).ToArray());
    }

    [Fact]
    public void Decrypt_InPlaceRoundTrip_PlaintextBack_TamperedByte_BadRecordMac()
    {
        var plaintext = new byte[300];
        new Random(2).NextBytes(plaintext);
        var record = new byte[plaintext.Length + 16];
        plaintext.CopyTo(record, 0);
        using var sealer = new AesGcmRecordCipher(encrypting: true);
        sealer.SetKey(Key);
        sealer.Init(Nonce, 16, Aad);
        sealer.DoFinal(record, 0, plaintext.Length, record, 0);
        var tampered = (byte[])record.Clone();
        tampered[10] ^= 1;
        using var opener = new AesGcmRecordCipher(encrypting: false);
        opener.SetKey(Key);
        opener.Init(Nonce, 16, Aad);

        var length = opener.DoFinal(record, 0, record.Length, record, 0);

        Assert.Equal(plaintext, record.AsSpan(0, length).ToArray());
        var alert = Assert.Throws<TlsFatalAlert>(() => opener.DoFinal(tampered, 0, tampered.Length, tampered, 0));
        Assert.Equal(AlertDescription.bad_record_mac, alert.AlertDescription);
    }
}
