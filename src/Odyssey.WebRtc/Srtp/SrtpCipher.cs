using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Odyssey.WebRtc.Srtp;

/// <summary>
/// The cryptographic transform of one profile for one direction. <see cref="SrtpContext"/> does the
/// parsing, index and replay bookkeeping; a cipher only encrypts, decrypts and authenticates.
/// Instances are not thread-safe (they own scratch buffers); the context serialises calls.
/// </summary>
internal abstract class SrtpCipher : IDisposable
{
    /// <summary>Bytes of the authentication tag.</summary>
    internal abstract int TagLength { get; }

    /// <summary>Distance of the SRTCP E+index word from the packet's end (its position differs by profile).</summary>
    internal abstract int RtcpIndexOffsetFromEnd { get; }

    /// <summary>Encrypts packet[headerLength..length] and writes the tag at packet[length..].</summary>
    internal abstract void ProtectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, ulong index);

    /// <summary>Verifies the tag at packet[length..length+tag] and decrypts the payload in place.</summary>
    internal abstract bool UnprotectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, ulong index);

    /// <summary>Encrypts packet[8..length], appends tag and E+index; returns the new length.</summary>
    internal abstract int ProtectRtcp(Span<byte> packet, int length, uint ssrc, uint index);

    /// <summary>Verifies and decrypts a whole SRTCP packet in place; returns false if it does not authenticate.</summary>
    internal abstract bool UnprotectRtcp(Span<byte> packet, int length, uint ssrc, uint indexWord, out int plainLength);

    public abstract void Dispose();

    internal static SrtpCipher Create(SrtpMasterKey masterKey)
    {
        SrtpSessionKeys keys = SrtpKeyDerivation.Derive(masterKey);
        return masterKey.Profile switch
        {
            SrtpProfile.Aes128CmHmacSha1_80 => new AesCmHmacSha1Cipher(keys),
            SrtpProfile.AeadAes128Gcm => new AesGcmCipher(keys),
            _ => throw new ArgumentOutOfRangeException(nameof(masterKey), masterKey.Profile, "Unsupported SRTP profile."),
        };
    }

    /// <summary>SRTCP's E flag: the payload is encrypted (RFC 3711 §3.4).</summary>
    internal const uint EncryptedFlag = 0x8000_0000;

    /// <summary>Bytes of the RTCP header left in the clear: V/P/RC, PT, length, sender SSRC.</summary>
    internal const int RtcpClearHeader = 8;
}

/// <summary>AES_CM_128 encryption with HMAC-SHA1 truncated to 80 bits (RFC 3711 §4.1.1, §4.2).</summary>
internal sealed class AesCmHmacSha1Cipher : SrtpCipher
{
    private const int Tag = 10;
    private const int RocLength = 4;

    private readonly AesCounterMode _rtpCipher;
    private readonly AesCounterMode _rtcpCipher;
    private readonly IncrementalHash _rtpHmac;
    private readonly IncrementalHash _rtcpHmac;
    private readonly byte[] _rtpSalt;
    private readonly byte[] _rtcpSalt;

    internal AesCmHmacSha1Cipher(SrtpSessionKeys keys)
    {
        _rtpCipher = new AesCounterMode(keys.RtpKey);
        _rtcpCipher = new AesCounterMode(keys.RtcpKey);
        _rtpHmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, keys.RtpAuthKey);
        _rtcpHmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, keys.RtcpAuthKey);
        _rtpSalt = keys.RtpSalt;
        _rtcpSalt = keys.RtcpSalt;
    }

    internal override int TagLength => Tag;

    // Layout: header | encrypted | E+index | tag (RFC 3711 §3.4, Figure 2).
    internal override int RtcpIndexOffsetFromEnd => Tag + 4;

    internal override void ProtectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, ulong index)
    {
        Span<byte> iv = stackalloc byte[AesCounterMode.BlockSize];
        BuildIv(iv, _rtpSalt, ssrc, index);
        _rtpCipher.Apply(iv, packet[headerLength..length]);
        Authenticate(_rtpHmac, packet[..length], (uint)(index >> 16), packet.Slice(length, Tag));
    }

    internal override bool UnprotectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, ulong index)
    {
        Span<byte> expected = stackalloc byte[Tag];
        Authenticate(_rtpHmac, packet[..length], (uint)(index >> 16), expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, packet.Slice(length, Tag)))
        {
            return false;
        }

        Span<byte> iv = stackalloc byte[AesCounterMode.BlockSize];
        BuildIv(iv, _rtpSalt, ssrc, index);
        _rtpCipher.Apply(iv, packet[headerLength..length]);
        return true;
    }

    internal override int ProtectRtcp(Span<byte> packet, int length, uint ssrc, uint index)
    {
        Span<byte> iv = stackalloc byte[AesCounterMode.BlockSize];
        BuildIv(iv, _rtcpSalt, ssrc, index);
        _rtcpCipher.Apply(iv, packet[RtcpClearHeader..length]);
        BinaryPrimitives.WriteUInt32BigEndian(packet[length..], EncryptedFlag | index);
        int authenticated = length + 4;
        // RFC 3711 §3.4: the tag covers header, encrypted part and the E+index word; no ROC for RTCP.
        _rtcpHmac.AppendData(packet[..authenticated]);
        Span<byte> full = stackalloc byte[SHA1.HashSizeInBytes];
        _rtcpHmac.GetHashAndReset(full);
        full[..Tag].CopyTo(packet[authenticated..]);
        return authenticated + Tag;
    }

    internal override bool UnprotectRtcp(Span<byte> packet, int length, uint ssrc, uint indexWord, out int plainLength)
    {
        int authenticated = length - Tag;
        _rtcpHmac.AppendData(packet[..authenticated]);
        Span<byte> full = stackalloc byte[SHA1.HashSizeInBytes];
        _rtcpHmac.GetHashAndReset(full);
        if (!CryptographicOperations.FixedTimeEquals(full[..Tag], packet.Slice(authenticated, Tag)))
        {
            plainLength = 0;
            return false;
        }

        plainLength = authenticated - 4;
        if ((indexWord & EncryptedFlag) != 0)
        {
            Span<byte> iv = stackalloc byte[AesCounterMode.BlockSize];
            BuildIv(iv, _rtcpSalt, ssrc, indexWord & ~EncryptedFlag);
            _rtcpCipher.Apply(iv, packet[RtcpClearHeader..plainLength]);
        }

        return true;
    }

    public override void Dispose()
    {
        _rtpCipher.Dispose();
        _rtcpCipher.Dispose();
        _rtpHmac.Dispose();
        _rtcpHmac.Dispose();
    }

    /// <summary>RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16).</summary>
    internal static void BuildIv(Span<byte> iv, ReadOnlySpan<byte> salt, uint ssrc, ulong index)
    {
        iv.Clear();
        salt.CopyTo(iv);
        iv[4] ^= (byte)(ssrc >> 24);
        iv[5] ^= (byte)(ssrc >> 16);
        iv[6] ^= (byte)(ssrc >> 8);
        iv[7] ^= (byte)ssrc;
        for (int i = 0; i < 6; i++)
        {
            iv[13 - i] ^= (byte)(index >> (8 * i));
        }
    }

    /// <summary>RFC 3711 §4.2: tag = HMAC-SHA1(auth key, M || ROC) truncated to 80 bits.</summary>
    private static void Authenticate(IncrementalHash hmac, ReadOnlySpan<byte> message, uint roc, Span<byte> tag)
    {
        Span<byte> rocBytes = stackalloc byte[RocLength];
        BinaryPrimitives.WriteUInt32BigEndian(rocBytes, roc);
        hmac.AppendData(message);
        hmac.AppendData(rocBytes);
        Span<byte> full = stackalloc byte[SHA1.HashSizeInBytes];
        hmac.GetHashAndReset(full);
        full[..Tag].CopyTo(tag);
    }
}

/// <summary>AEAD_AES_128_GCM (RFC 7714): the RTP header (and SRTCP index) as associated data.</summary>
internal sealed class AesGcmCipher : SrtpCipher
{
    private const int Tag = 16;
    private const int NonceLength = 12;

    private readonly AesGcm _rtp;
    private readonly AesGcm _rtcp;
    private readonly byte[] _rtpSalt;
    private readonly byte[] _rtcpSalt;

    internal AesGcmCipher(SrtpSessionKeys keys)
    {
        _rtp = new AesGcm(keys.RtpKey, Tag);
        _rtcp = new AesGcm(keys.RtcpKey, Tag);
        _rtpSalt = keys.RtpSalt;
        _rtcpSalt = keys.RtcpSalt;
    }

    internal override int TagLength => Tag;

    // Layout: header | encrypted | tag | E+index (RFC 7714 §9.2, Figure 3).
    internal override int RtcpIndexOffsetFromEnd => 4;

    internal override void ProtectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, ulong index)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        BuildNonce(nonce, _rtpSalt, ssrc, index);
        Span<byte> payload = packet[headerLength..length];
        _rtp.Encrypt(nonce, payload, payload, packet.Slice(length, Tag), packet[..headerLength]);
    }

    internal override bool UnprotectRtp(Span<byte> packet, int headerLength, int length, uint ssrc, ulong index)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        BuildNonce(nonce, _rtpSalt, ssrc, index);
        Span<byte> payload = packet[headerLength..length];
        return TryDecrypt(_rtp, nonce, payload, packet.Slice(length, Tag), packet[..headerLength]);
    }

    internal override int ProtectRtcp(Span<byte> packet, int length, uint ssrc, uint index)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        BuildNonce(nonce, _rtcpSalt, ssrc, index);
        uint word = EncryptedFlag | index;
        // RFC 7714 §9.2: AAD = the 8 clear header bytes followed by the E+index word.
        Span<byte> aad = stackalloc byte[RtcpClearHeader + 4];
        packet[..RtcpClearHeader].CopyTo(aad);
        BinaryPrimitives.WriteUInt32BigEndian(aad[RtcpClearHeader..], word);
        Span<byte> payload = packet[RtcpClearHeader..length];
        _rtcp.Encrypt(nonce, payload, payload, packet.Slice(length, Tag), aad);
        BinaryPrimitives.WriteUInt32BigEndian(packet[(length + Tag)..], word);
        return length + Tag + 4;
    }

    internal override bool UnprotectRtcp(Span<byte> packet, int length, uint ssrc, uint indexWord, out int plainLength)
    {
        plainLength = length - Tag - 4;
        Span<byte> nonce = stackalloc byte[NonceLength];
        BuildNonce(nonce, _rtcpSalt, ssrc, indexWord & ~EncryptedFlag);
        Span<byte> tag = packet.Slice(plainLength, Tag);
        if ((indexWord & EncryptedFlag) != 0)
        {
            Span<byte> aad = stackalloc byte[RtcpClearHeader + 4];
            packet[..RtcpClearHeader].CopyTo(aad);
            BinaryPrimitives.WriteUInt32BigEndian(aad[RtcpClearHeader..], indexWord);
            return TryDecrypt(_rtcp, nonce, packet[RtcpClearHeader..plainLength], tag, aad);
        }

        // Unencrypted SRTCP (E = 0, RFC 7714 §9.3): the whole packet and the index word are AAD. Rare
        // (WebRTC always encrypts), so it may rent a buffer.
        int aadLength = plainLength + 4;
        byte[] rented = ArrayPool<byte>.Shared.Rent(aadLength);
        try
        {
            packet[..plainLength].CopyTo(rented);
            BinaryPrimitives.WriteUInt32BigEndian(rented.AsSpan(plainLength), indexWord);
            return TryDecrypt(_rtcp, nonce, [], tag, rented.AsSpan(0, aadLength));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override void Dispose()
    {
        _rtp.Dispose();
        _rtcp.Dispose();
    }

    /// <summary>
    /// RFC 7714 §8.1/§9.1: IV = (0x0000 || SSRC || 48-bit index) XOR salt; for SRTP the index is
    /// ROC || SEQ, for SRTCP it is the 31-bit SRTCP index (the upper 16 bits then stay zero).
    /// </summary>
    internal static void BuildNonce(Span<byte> nonce, ReadOnlySpan<byte> salt, uint ssrc, ulong index)
    {
        nonce.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], ssrc);
        for (int i = 0; i < 6; i++)
        {
            nonce[11 - i] = (byte)(index >> (8 * i));
        }

        for (int i = 0; i < NonceLength; i++)
        {
            nonce[i] ^= salt[i];
        }
    }

    private static bool TryDecrypt(AesGcm gcm, ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> aad)
    {
        try
        {
            gcm.Decrypt(nonce, data, tag, data, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }
}
