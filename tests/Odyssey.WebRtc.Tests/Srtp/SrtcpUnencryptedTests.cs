using System.Buffers.Binary;
using System.Security.Cryptography;
using Odyssey.WebRtc.Srtp;

namespace Odyssey.WebRtc.Tests.Srtp;

/// <summary>
/// SRTCP with the E flag clear (RFC 3711 §3.4, RFC 7714 §9.3): only authenticated. We never send it,
/// but a peer may; the packets are built here by hand from the derived session keys.
/// </summary>
public sealed class SrtcpUnencryptedTests
{
    private const uint Index = 5;

    [Fact]
    public void UnprotectRtcp_AesCmWithEFlagClear_AuthenticatesAndLeavesPayload()
    {
        SrtpMasterKey master = SrtpContextTests.Key(SrtpProfile.Aes128CmHmacSha1_80);
        SrtpSessionKeys keys = SrtpKeyDerivation.Derive(master);
        byte[] plain = RtpPackets.Rtcp();
        var packet = new byte[plain.Length + 14];
        plain.CopyTo(packet, 0);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(plain.Length), Index); // E = 0
        byte[] tag = HMACSHA1.HashData(keys.RtcpAuthKey, packet.AsSpan(0, plain.Length + 4));
        tag.AsSpan(0, 10).CopyTo(packet.AsSpan(plain.Length + 4));
        byte[] tampered = packet.ToArray();
        tampered[20] ^= 1;
        using var receiver = new SrtpContext(master);

        Assert.Equal(SrtpError.AuthenticationFailed, receiver.UnprotectRtcp(tampered, out _));
        Assert.Equal(SrtpError.None, receiver.UnprotectRtcp(packet, out int length));
        Assert.Equal(plain, packet[..length]);
    }

    [Fact]
    public void UnprotectRtcp_GcmWithEFlagClear_AuthenticatesAndLeavesPayload()
    {
        SrtpMasterKey master = SrtpContextTests.Key(SrtpProfile.AeadAes128Gcm);
        SrtpSessionKeys keys = SrtpKeyDerivation.Derive(master);
        byte[] plain = RtpPackets.Rtcp();
        var packet = new byte[plain.Length + 20];
        plain.CopyTo(packet, 0);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(plain.Length + 16), Index); // E = 0
        var aad = new byte[plain.Length + 4];
        plain.CopyTo(aad, 0);
        BinaryPrimitives.WriteUInt32BigEndian(aad.AsSpan(plain.Length), Index);
        Span<byte> nonce = stackalloc byte[12];
        AesGcmCipher.BuildNonce(nonce, keys.RtcpSalt, BinaryPrimitives.ReadUInt32BigEndian(plain.AsSpan(4)), Index);
        using (var gcm = new AesGcm(keys.RtcpKey, 16))
        {
            gcm.Encrypt(nonce, [], [], packet.AsSpan(plain.Length, 16), aad);
        }

        byte[] tampered = packet.ToArray();
        tampered[20] ^= 1;
        using var receiver = new SrtpContext(master);

        Assert.Equal(SrtpError.AuthenticationFailed, receiver.UnprotectRtcp(tampered, out _));
        Assert.Equal(SrtpError.None, receiver.UnprotectRtcp(packet, out int length));
        Assert.Equal(plain, packet[..length]);
    }
}
