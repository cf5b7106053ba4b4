using System.Security.Cryptography;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Odyssey.WebRtc.Dtls;

/// <summary>
/// BouncyCastle's TLS crypto with AES-GCM records sealed by .NET's <see cref="AesGcm"/> (AES-NI, OpenSSL
/// underneath) instead of BouncyCastle's managed GCM.
/// </summary>
/// <remarks>
/// Why: BouncyCastle hands the key to its GCM mode again for every record, and the mode then rebuilds the
/// AES key schedule and its multiplication tables: kilobytes allocated per record, the largest share of the
/// ≈ 10 bytes allocated per byte that data channels moved (benchmarks/RESULTS.md, "Data channels"). The
/// record layer, handshake and every other suite stay BouncyCastle's.
/// </remarks>
internal sealed class DtlsCrypto(SecureRandom random) : BcTlsCrypto(random)
{
    protected override TlsAeadCipher CreateCipher_Aes_Gcm(TlsCryptoParameters cryptoParams, int cipherKeySize, int macSize) =>
        new(cryptoParams, new AesGcmRecordCipher(encrypting: true), new AesGcmRecordCipher(encrypting: false), cipherKeySize, macSize, TlsAeadCipher.AEAD_GCM);
}

/// <summary>One direction of AES-GCM record protection in BouncyCastle's shape: output is ciphertext then tag.</summary>
internal sealed class AesGcmRecordCipher(bool encrypting) : TlsAeadCipherImpl, IDisposable
{
    private byte[] _key = [];
    private AesGcm? _aes;
    private int _tagSize;
    private byte[] _nonce = [];
    private byte[]? _additionalData;

    public void SetKey(byte[] key, int keyOff, int keyLen) => SetKey(key.AsSpan(keyOff, keyLen));

    public void SetKey(ReadOnlySpan<byte> key)
    {
        _key = key.ToArray();
        _aes?.Dispose();
        _aes = null;
    }

    public void Init(byte[] nonce, int macSize, byte[] additionalData)
    {
        if (_aes is null || _tagSize != macSize)
        {
            // Once per key (per epoch), not per record.
            _aes?.Dispose();
            _aes = new AesGcm(_key, macSize);
            _tagSize = macSize;
        }

        _nonce = nonce;
        _additionalData = additionalData;
    }

    public int GetOutputSize(int inputLength) => encrypting ? inputLength + _tagSize : Math.Max(0, inputLength - _tagSize);

    public int DoFinal(byte[] input, int inputOffset, int inputLength, byte[] output, int outputOffset) =>
        DoFinal(_additionalData, input, inputOffset, inputLength, output, outputOffset);

    public int DoFinal(byte[]? additionalData, byte[] input, int inputOffset, int inputLength, byte[] output, int outputOffset)
    {
        var aes = _aes ?? throw new InvalidOperationException("AES-GCM record cipher used before Init");
        if (encrypting)
        {
            // In place (BouncyCastle seals the record in its own output buffer) is fine: AesGcm reads each block before writing it.
            var plaintext = input.AsSpan(inputOffset, inputLength);
            aes.Encrypt(_nonce, plaintext, output.AsSpan(outputOffset, inputLength), output.AsSpan(outputOffset + inputLength, _tagSize), additionalData);
            return inputLength + _tagSize;
        }

        var length = inputLength - _tagSize;
        if (length < 0)
        {
            throw new TlsFatalAlert(AlertDescription.bad_record_mac);
        }

        try
        {
            aes.Decrypt(_nonce, input.AsSpan(inputOffset, length), input.AsSpan(inputOffset + length, _tagSize), output.AsSpan(outputOffset, length), additionalData);
        }
        catch (AuthenticationTagMismatchException exception)
        {
            throw new TlsFatalAlert(AlertDescription.bad_record_mac, exception);
        }

        return length;
    }

    public void Reset()
    {
    }

    public void Dispose() => _aes?.Dispose();
}
