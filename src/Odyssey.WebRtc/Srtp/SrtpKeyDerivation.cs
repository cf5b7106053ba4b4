namespace Odyssey.WebRtc.Srtp;

/// <summary>The session keys of one direction, derived from its master key.</summary>
internal sealed class SrtpSessionKeys
{
    internal required byte[] RtpKey { get; init; }
    internal required byte[] RtpAuthKey { get; init; }
    internal required byte[] RtpSalt { get; init; }
    internal required byte[] RtcpKey { get; init; }
    internal required byte[] RtcpAuthKey { get; init; }
    internal required byte[] RtcpSalt { get; init; }
}

/// <summary>
/// The AES-CM PRF key derivation of RFC 3711 §4.3 with a key derivation rate of 0 (DTLS-SRTP never
/// sets one), so the session keys are fixed for the life of the master key and shared by all SSRCs.
/// </summary>
internal static class SrtpKeyDerivation
{
    // RFC 3711 §4.3.2 labels.
    internal const byte RtpEncryption = 0x00;
    internal const byte RtpAuthentication = 0x01;
    internal const byte RtpSalting = 0x02;
    internal const byte RtcpEncryption = 0x03;
    internal const byte RtcpAuthentication = 0x04;
    internal const byte RtcpSalting = 0x05;

    /// <summary>HMAC-SHA1 session authentication key: 160 bits (RFC 3711 §8.2).</summary>
    private const int AuthKeyLength = 20;

    /// <summary>The PRF works on a 112-bit salt (RFC 3711 §4.3.1).</summary>
    private const int PrfSaltLength = 14;

    internal static SrtpSessionKeys Derive(SrtpMasterKey master)
    {
        SrtpProfile profile = master.Profile;
        int keyLength = SrtpProfiles.MasterKeyLength(profile);
        int saltLength = SrtpProfiles.MasterSaltLength(profile);
        int authLength = profile == SrtpProfile.AeadAes128Gcm ? 0 : AuthKeyLength;
        using var prf = new AesCounterMode(master.Key);
        return new SrtpSessionKeys
        {
            RtpKey = Derive(prf, master.Salt, RtpEncryption, keyLength),
            RtpAuthKey = Derive(prf, master.Salt, RtpAuthentication, authLength),
            RtpSalt = Derive(prf, master.Salt, RtpSalting, saltLength),
            RtcpKey = Derive(prf, master.Salt, RtcpEncryption, keyLength),
            RtcpAuthKey = Derive(prf, master.Salt, RtcpAuthentication, authLength),
            RtcpSalt = Derive(prf, master.Salt, RtcpSalting, saltLength),
        };
    }

    /// <summary>
    /// One label's output: the AES-CM keystream under the master key with IV = (label XOR salt) * 2^16.
    /// With r = index DIV kdr = 0, key_id is just the label, which lands on byte 7 of the 14-byte salt.
    /// A 96-bit GCM master salt is first multiplied by 2^16 (RFC 7714 §11, erratum 4938): zero-padded
    /// on the right to 112 bits.
    /// </summary>
    internal static byte[] Derive(AesCounterMode prf, ReadOnlySpan<byte> masterSalt, byte label, int length)
    {
        var output = new byte[length];
        if (length == 0)
        {
            return output;
        }

        Span<byte> iv = stackalloc byte[AesCounterMode.BlockSize];
        iv.Clear();
        masterSalt.CopyTo(iv);
        iv[PrfSaltLength - 7] ^= label;
        prf.Apply(iv, output);
        return output;
    }
}
