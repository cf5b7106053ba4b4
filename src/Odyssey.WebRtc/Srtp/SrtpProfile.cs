namespace Odyssey.WebRtc.Srtp;

/// <summary>
/// The SRTP protection profiles this stack speaks. The values are the DTLS-SRTP profile identifiers
/// of the IANA registry (RFC 5764 §4.1.2, RFC 7714 §14.2), so they travel unchanged in use_srtp.
/// </summary>
public enum SrtpProfile
{
    /// <summary>AES-128 counter mode with an 80-bit HMAC-SHA1 tag (RFC 3711); the one every peer has.</summary>
    Aes128CmHmacSha1_80 = 0x0001,

    /// <summary>AES-128-GCM with a 128-bit tag (RFC 7714): authenticated encryption in one pass.</summary>
    AeadAes128Gcm = 0x0007,
}

/// <summary>Key, salt and tag sizes of each profile, in one place.</summary>
public static class SrtpProfiles
{
    /// <summary>Bytes of master key (both profiles use AES-128).</summary>
    public static int MasterKeyLength(SrtpProfile profile) => profile switch
    {
        SrtpProfile.Aes128CmHmacSha1_80 or SrtpProfile.AeadAes128Gcm => 16,
        _ => throw Unknown(profile),
    };

    /// <summary>Bytes of master salt: 112 bits for AES-CM (RFC 3711 §8.2), 96 bits for GCM (RFC 7714 §12).</summary>
    public static int MasterSaltLength(SrtpProfile profile) => profile switch
    {
        SrtpProfile.Aes128CmHmacSha1_80 => 14,
        SrtpProfile.AeadAes128Gcm => 12,
        _ => throw Unknown(profile),
    };

    /// <summary>Bytes that protecting an RTP packet appends (the authentication tag).</summary>
    public static int RtpOverhead(SrtpProfile profile) => profile switch
    {
        SrtpProfile.Aes128CmHmacSha1_80 => 10,
        SrtpProfile.AeadAes128Gcm => 16,
        _ => throw Unknown(profile),
    };

    /// <summary>Bytes that protecting an RTCP packet appends (tag plus the 4-byte E flag and SRTCP index).</summary>
    public static int RtcpOverhead(SrtpProfile profile) => RtpOverhead(profile) + 4;

    /// <summary>The name DTLS, SDP and OpenSSL use for the profile.</summary>
    public static string Name(SrtpProfile profile) => profile switch
    {
        SrtpProfile.Aes128CmHmacSha1_80 => "SRTP_AES128_CM_HMAC_SHA1_80",
        SrtpProfile.AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
        _ => throw Unknown(profile),
    };

    /// <summary>True for the profiles this stack implements.</summary>
    public static bool IsSupported(int profileId) =>
        profileId is (int)SrtpProfile.Aes128CmHmacSha1_80 or (int)SrtpProfile.AeadAes128Gcm;

    private static ArgumentOutOfRangeException Unknown(SrtpProfile profile) =>
        new(nameof(profile), profile, $"SRTP profile 0x{(int)profile:X4} is not supported.");
}
