using Odyssey.WebRtc.Srtp;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Odyssey.WebRtc.Dtls;

/// <summary>
/// What the client and server peers share: our credentials, the expected peer fingerprints, the
/// SRTP profiles, and the outcome (negotiated profile, exported keys, why it failed).
/// </summary>
internal sealed class DtlsHandshakeContext
{
    internal DtlsHandshakeContext(DtlsCertificate certificate, IReadOnlyList<DtlsFingerprint> remoteFingerprints, DtlsOptions options, BcTlsCrypto crypto)
    {
        Certificate = certificate;
        RemoteFingerprints = remoteFingerprints;
        Options = options;
        Crypto = crypto;
        TlsCertificate = new Certificate([new BcTlsCertificate(crypto, certificate.BcCertificate.CertificateStructure)]);
    }

    internal DtlsCertificate Certificate { get; }

    internal Certificate TlsCertificate { get; }

    internal IReadOnlyList<DtlsFingerprint> RemoteFingerprints { get; }

    internal DtlsOptions Options { get; }

    internal BcTlsCrypto Crypto { get; }

    internal SrtpProfile? SrtpProfile { get; set; }

    internal byte[]? ExportedKeyingMaterial { get; private set; }

    internal DtlsFingerprint? RemoteFingerprint { get; private set; }

    /// <summary>Set when we abort for a reason of our own (fingerprint, missing certificate).</summary>
    internal DtlsFailureReason? FailureReason { get; private set; }

    internal string? FailureDetail { get; private set; }

    /// <summary>Set when the peer's alert ended the handshake.</summary>
    internal short? AlertReceived { get; set; }

    /// <summary>The peer sent close_notify.</summary>
    internal volatile bool PeerClosed;

    internal int[] ProfileIds()
    {
        var ids = new int[Options.SrtpProfiles.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = (int)Options.SrtpProfiles[i];
        }

        return ids;
    }

    /// <summary>
    /// RFC 8122 §5 / RFC 5763 §5: the peer's end-entity certificate must hash to one of the
    /// fingerprints its SDP announced; anything else aborts with bad_certificate.
    /// </summary>
    internal void VerifyPeer(Certificate? peer)
    {
        if (peer is null || peer.IsEmpty)
        {
            Fail(DtlsFailureReason.NoPeerCertificate, "the peer sent no certificate, but WebRTC requires one from both sides");
            throw new TlsFatalAlert(AlertDescription.handshake_failure);
        }

        byte[] der = peer.GetCertificateAt(0).GetEncoded();
        foreach (DtlsFingerprint expected in RemoteFingerprints)
        {
            if (expected.Matches(der))
            {
                RemoteFingerprint = expected;
                return;
            }
        }

        string presented = DtlsFingerprint.Compute("sha-256", der).ToString();
        Fail(
            DtlsFailureReason.FingerprintMismatch,
            $"the peer's certificate ({presented}) matches none of the {RemoteFingerprints.Count} a=fingerprint value(s) of its SDP");
        throw new TlsFatalAlert(AlertDescription.bad_certificate);
    }

    /// <summary>RFC 5764 §4.2: keying material from the "EXTRACTOR-dtls_srtp" exporter; only valid inside NotifyHandshakeComplete.</summary>
    internal void Export(TlsContext context)
    {
        if (SrtpProfile is { } profile)
        {
            ExportedKeyingMaterial = context.ExportKeyingMaterial(
                ExporterLabel.dtls_srtp, null, SrtpMasterKey.DtlsExportLength(profile));
        }
    }

    internal TlsCredentialedSigner Signer(TlsContext context) =>
        new BcDefaultTlsCredentialedSigner(
            new TlsCryptoParameters(context),
            Crypto,
            Certificate.PrivateKey,
            TlsCertificate,
            new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));

    internal void Fail(DtlsFailureReason reason, string detail)
    {
        FailureReason ??= reason;
        FailureDetail ??= detail;
    }
}

/// <summary>Our DTLS client: DTLS 1.2 only, offers use_srtp, authenticates the server by fingerprint.</summary>
internal sealed class DtlsClientPeer(DtlsHandshakeContext handshake) : DefaultTlsClient(handshake.Crypto)
{
    private DtlsHandshakeContext Handshake => handshake;

    private TlsContext Context => m_context;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    public override IDictionary<int, byte[]> GetClientExtensions()
    {
        IDictionary<int, byte[]> extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetClientExtensions());
        if (handshake.Options.SrtpProfiles.Count > 0)
        {
            TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData(handshake.ProfileIds(), TlsUtilities.EmptyBytes));
        }

        return extensions;
    }

    public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
    {
        base.ProcessServerExtensions(serverExtensions);
        UseSrtpData? chosen = serverExtensions is null ? null : TlsSrtpUtilities.GetUseSrtpExtension(serverExtensions);
        if (chosen is null)
        {
            return; // the server declined SRTP: a data-channel-only association
        }

        // RFC 5764 §4.1.1: the server answers with exactly one of the profiles we offered.
        int[] offered = handshake.ProfileIds();
        if (chosen.ProtectionProfiles.Length != 1 || Array.IndexOf(offered, chosen.ProtectionProfiles[0]) < 0)
        {
            handshake.Fail(DtlsFailureReason.ProtocolError, "the server chose an SRTP profile we did not offer");
            throw new TlsFatalAlert(AlertDescription.illegal_parameter);
        }

        handshake.SrtpProfile = (SrtpProfile)chosen.ProtectionProfiles[0];
    }

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    public override int GetHandshakeTimeoutMillis() => (int)handshake.Options.HandshakeTimeout.TotalMilliseconds;

    public override int GetHandshakeResendTimeMillis() => (int)handshake.Options.InitialRetransmitTimeout.TotalMilliseconds;

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        handshake.Export(m_context);
    }

    public override void NotifyAlertReceived(short alertLevel, short alertDescription)
    {
        base.NotifyAlertReceived(alertLevel, alertDescription);
        if (alertDescription == AlertDescription.close_notify)
        {
            handshake.PeerClosed = true;
        }
        else if (alertLevel == AlertLevel.fatal)
        {
            handshake.AlertReceived = alertDescription;
        }
    }

    private sealed class Authentication(DtlsClientPeer client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
            client.Handshake.VerifyPeer(serverCertificate?.Certificate);

        // aiortc and browsers demand a client certificate; we always send ours.
        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
            client.Handshake.Signer(client.Context);
    }
}

/// <summary>Our DTLS server: DTLS 1.2 only, ECDSA credentials, demands and checks the client's certificate.</summary>
internal sealed class DtlsServerPeer(DtlsHandshakeContext handshake) : DefaultTlsServer(handshake.Crypto)
{
    private UseSrtpData? _chosen;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    // Our certificate is ECDSA, so only ECDHE_ECDSA suites can be served (the default list also holds RSA
    // ones, which BouncyCastle would pick and then find no RSA credentials for). AEAD first, CBC for old peers.
    protected override int[] GetSupportedCipherSuites() =>
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    ];

    protected override TlsCredentialedSigner GetECDsaSignerCredentials() => handshake.Signer(m_context);

    public override CertificateRequest GetCertificateRequest()
    {
        // Request a certificate (RFC 5763 §5 needs both sides'); accept ECDSA or RSA ones, any signature
        // algorithm we can verify.
        short[] types = [ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign];
        IList<SignatureAndHashAlgorithm> algorithms = TlsUtilities.GetDefaultSupportedSignatureAlgorithms(m_context);
        return new CertificateRequest(types, algorithms, null);
    }

    public override void NotifyClientCertificate(Certificate clientCertificate) => handshake.VerifyPeer(clientCertificate);

    public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
    {
        base.ProcessClientExtensions(clientExtensions);
        UseSrtpData? offered = clientExtensions is null ? null : TlsSrtpUtilities.GetUseSrtpExtension(clientExtensions);
        if (offered is null)
        {
            return;
        }

        // Our preference order decides among what the client offers (RFC 5764 §4.1.1 leaves it to us).
        foreach (SrtpProfile profile in handshake.Options.SrtpProfiles)
        {
            if (Array.IndexOf(offered.ProtectionProfiles, (int)profile) >= 0)
            {
                handshake.SrtpProfile = profile;
                _chosen = new UseSrtpData([(int)profile], TlsUtilities.EmptyBytes);
                return;
            }
        }
    }

    public override IDictionary<int, byte[]> GetServerExtensions()
    {
        IDictionary<int, byte[]> extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetServerExtensions());
        if (_chosen is not null)
        {
            TlsSrtpUtilities.AddUseSrtpExtension(extensions, _chosen);
        }

        return extensions;
    }

    public override int GetHandshakeTimeoutMillis() => (int)handshake.Options.HandshakeTimeout.TotalMilliseconds;

    public override int GetHandshakeResendTimeMillis() => (int)handshake.Options.InitialRetransmitTimeout.TotalMilliseconds;

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        handshake.Export(m_context);
    }

    public override void NotifyAlertReceived(short alertLevel, short alertDescription)
    {
        base.NotifyAlertReceived(alertLevel, alertDescription);
        if (alertDescription == AlertDescription.close_notify)
        {
            handshake.PeerClosed = true;
        }
        else if (alertLevel == AlertLevel.fatal)
        {
            handshake.AlertReceived = alertDescription;
        }
    }
}
