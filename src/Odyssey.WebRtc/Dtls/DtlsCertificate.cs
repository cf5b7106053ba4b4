using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Odyssey.WebRtc.Dtls;

/// <summary>
/// Our DTLS identity: a self-signed ECDSA P-256 certificate and its private key (RFC 8827 §6.5: WebRTC
/// endpoints authenticate by the certificate fingerprint in SDP, not by a CA). One certificate may
/// serve many connections; its SHA-256 fingerprint goes into a=fingerprint.
/// </summary>
public sealed class DtlsCertificate
{
    /// <summary>Default lifetime: a month, like browsers' generated certificates; nothing checks it but the peer's taste.</summary>
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(30);

    /// <summary>NotBefore is back-dated so a peer whose clock is behind ours does not see a future certificate.</summary>
    private static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromDays(1);

    private readonly byte[] _der;

    private DtlsCertificate(X509Certificate certificate, AsymmetricKeyParameter privateKey)
    {
        BcCertificate = certificate;
        PrivateKey = privateKey;
        _der = certificate.GetEncoded();
        Fingerprint = DtlsFingerprint.Compute("sha-256", _der);
    }

    /// <summary>The SHA-256 fingerprint, the one to put in SDP.</summary>
    public DtlsFingerprint Fingerprint { get; }

    /// <summary>The DER encoding of the certificate.</summary>
    public ReadOnlySpan<byte> DerEncoded => _der;

    /// <summary>Start of validity.</summary>
    public DateTimeOffset NotBefore => new(BcCertificate.NotBefore, TimeSpan.Zero);

    /// <summary>End of validity.</summary>
    public DateTimeOffset NotAfter => new(BcCertificate.NotAfter, TimeSpan.Zero);

    internal X509Certificate BcCertificate { get; }

    internal AsymmetricKeyParameter PrivateKey { get; }

    /// <summary>Generates a fresh P-256 key pair and a self-signed certificate (ECDSA with SHA-256).</summary>
    public static DtlsCertificate Generate(string commonName = "odyssey", TimeSpan? validity = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        var random = new SecureRandom();
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, random));
        AsymmetricCipherKeyPair keyPair = generator.GenerateKeyPair();

        DateTime now = DateTime.UtcNow;
        var name = new X509Name("CN=" + commonName);
        var builder = new X509V3CertificateGenerator();
        // A positive 64-bit serial; RFC 5280 §4.1.2.2 asks for positive and at most 20 bytes.
        builder.SetSerialNumber(new BigInteger(1, random.GenerateSeed(8)));
        builder.SetIssuerDN(name);
        builder.SetSubjectDN(name);
        builder.SetNotBefore(now - ClockSkewAllowance);
        builder.SetNotAfter(now + (validity ?? DefaultValidity));
        builder.SetPublicKey(keyPair.Public);
        X509Certificate certificate = builder.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", keyPair.Private, random));
        return new DtlsCertificate(certificate, keyPair.Private);
    }

    /// <summary>The fingerprint with another hash (sha-1, sha-256, sha-384, sha-512).</summary>
    public DtlsFingerprint ComputeFingerprint(string algorithm) => DtlsFingerprint.Compute(algorithm, _der);

    /// <summary>PEM of the certificate, for handing to other tools (OpenSSL in the interop tests).</summary>
    public string CertificatePem() => Pem("CERTIFICATE", _der);

    /// <summary>PEM of the private key (PKCS#8, unencrypted): keep it away from logs.</summary>
    public string PrivateKeyPem() =>
        Pem("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(PrivateKey).GetEncoded());

    private static string Pem(string label, byte[] der) =>
        $"-----BEGIN {label}-----\n{Convert.ToBase64String(der, Base64FormattingOptions.InsertLineBreaks)}\n-----END {label}-----\n";
}
