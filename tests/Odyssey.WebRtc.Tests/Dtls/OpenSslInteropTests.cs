using System.Net;
using System.Text;
using Odyssey.WebRtc.Dtls;
using Odyssey.WebRtc.Srtp;

namespace Odyssey.WebRtc.Tests.Dtls;

/// <summary>
/// Our DTLS against OpenSSL 3.0 (the library aiortc's DTLS is built on) in both roles, over loopback
/// UDP: the handshake completes, both sides export the same "EXTRACTOR-dtls_srtp" keying material,
/// application data crosses both ways, and a peer without a certificate is refused.
/// </summary>
public sealed class OpenSslInteropTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _directory = Directory.CreateTempSubdirectory("odyssey-dtls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>OpenSSL makes its own P-256 certificate; its fingerprint, printed by OpenSSL, is what our side expects.</summary>
    private async Task<DtlsFingerprint> MakeOpenSslCertificateAsync()
    {
        await ToolProcess.RunAsync(
            "openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=openssl-peer",
             "-keyout", "key.pem", "-out", "cert.pem", "-days", "2"],
            _directory,
            Timeout);
        string line = await ToolProcess.RunAsync("openssl", ["x509", "-in", "cert.pem", "-noout", "-fingerprint", "-sha256"], _directory, Timeout);
        // "sha256 Fingerprint=AB:CD:…" → SDP form "sha-256 AB:CD:…"
        return DtlsFingerprint.Parse("sha-256 " + line.Trim()[(line.IndexOf('=', StringComparison.Ordinal) + 1)..]);
    }

    private static string OpenSslProfile(SrtpProfile profile) =>
        profile == SrtpProfile.AeadAes128Gcm ? "SRTP_AEAD_AES_128_GCM" : "SRTP_AES128_CM_SHA1_80";

    private static DtlsOptions Options() => new() { HandshakeTimeout = TimeSpan.FromSeconds(20) };

    private static async Task AssertKeyingMaterialAsync(ToolProcess openssl, DtlsTransport ours, SrtpProfile profile)
    {
        string negotiated = await openssl.WaitForLineAsync(l => l.StartsWith("SRTP Extension negotiated", StringComparison.Ordinal), Timeout);
        Assert.EndsWith(OpenSslProfile(profile), negotiated, StringComparison.Ordinal);
        string keying = await openssl.WaitForLineAsync(l => l.Contains("Keying material:", StringComparison.Ordinal), Timeout);
        string theirs = keying[(keying.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        Assert.Equal(SrtpMasterKey.DtlsExportLength(profile), ours.ExportedKeyingMaterial!.Length);
        Assert.Equal(theirs, ToolProcess.Hex(ours.ExportedKeyingMaterial), ignoreCase: true);
        Assert.Equal(profile, ours.SrtpProfile);
    }

    private static async Task AssertDataBothWaysAsync(ToolProcess openssl, DtlsTransport ours)
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        ours.DataReceived += data => received.TrySetResult(ToolProcess.Utf8(data));

        ours.Send("hello from odyssey\n"u8);
        await openssl.WaitForLineAsync(l => l.Contains("hello from odyssey", StringComparison.Ordinal), Timeout);

        await openssl.Input.WriteLineAsync("hello from openssl");
        await openssl.Input.FlushAsync();
        Assert.Equal("hello from openssl\n", await received.Task.WaitAsync(Timeout));
    }

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    public async Task OurClient_OpenSslServer_SameKeysAndDataBothWays(SrtpProfile profile)
    {
        DtlsFingerprint opensslFingerprint = await MakeOpenSslCertificateAsync();
        DtlsCertificate ourCertificate = DtlsCertificate.Generate();
        using var openssl = new ToolProcess(
            "openssl",
            ["s_server", "-dtls1_2", "-accept", "127.0.0.1:0", "-cert", "cert.pem", "-key", "key.pem",
             "-use_srtp", OpenSslProfile(profile), "-Verify", "1",
             "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", SrtpMasterKey.DtlsExportLength(profile).ToString(System.Globalization.CultureInfo.InvariantCulture)],
            _directory);
        string accept = await openssl.WaitForLineAsync(l => l.StartsWith("ACCEPT ", StringComparison.Ordinal), Timeout);
        IPEndPoint server = IPEndPoint.Parse(accept["ACCEPT ".Length..].Trim());

        using var udp = new UdpDatagramTransport(server);
        await using var client = new DtlsTransport(udp, ourCertificate, DtlsRole.Client, [opensslFingerprint], Options());
        await client.StartAsync().WaitAsync(Timeout);

        Assert.Equal(DtlsState.Connected, client.State);
        await AssertKeyingMaterialAsync(openssl, client, profile);
        await AssertDataBothWaysAsync(openssl, client);
    }

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    public async Task OurServer_OpenSslClient_SameKeysAndDataBothWays(SrtpProfile profile)
    {
        DtlsFingerprint opensslFingerprint = await MakeOpenSslCertificateAsync();
        DtlsCertificate ourCertificate = DtlsCertificate.Generate();
        using var udp = new UdpDatagramTransport();
        await using var server = new DtlsTransport(udp, ourCertificate, DtlsRole.Server, [opensslFingerprint], Options());
        Task accepted = server.StartAsync();

        using var openssl = new ToolProcess(
            "openssl",
            ["s_client", "-dtls1_2", "-connect", udp.LocalEndPoint.ToString(), "-cert", "cert.pem", "-key", "key.pem",
             "-use_srtp", OpenSslProfile(profile),
             "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", SrtpMasterKey.DtlsExportLength(profile).ToString(System.Globalization.CultureInfo.InvariantCulture)],
            _directory);
        await accepted.WaitAsync(Timeout);

        Assert.Equal(DtlsState.Connected, server.State);
        await AssertKeyingMaterialAsync(openssl, server, profile);
        // s_client shows the server certificate it was given: ours.
        Assert.Contains("CN = odyssey", openssl.Transcript, StringComparison.Ordinal);
        await AssertDataBothWaysAsync(openssl, server);
    }

    [Fact]
    public async Task OurServer_OpenSslClientWithoutCertificate_RefusedAsNoPeerCertificate()
    {
        DtlsFingerprint opensslFingerprint = await MakeOpenSslCertificateAsync();
        using var udp = new UdpDatagramTransport();
        await using var server = new DtlsTransport(udp, DtlsCertificate.Generate(), DtlsRole.Server, [opensslFingerprint], Options());
        Task accepted = server.StartAsync();

        using var openssl = new ToolProcess(
            "openssl", ["s_client", "-dtls1_2", "-connect", udp.LocalEndPoint.ToString(), "-use_srtp", "SRTP_AES128_CM_SHA1_80"], _directory);

        DtlsHandshakeException failure = await Assert.ThrowsAsync<DtlsHandshakeException>(() => accepted.WaitAsync(Timeout));
        Assert.Equal(DtlsFailureReason.NoPeerCertificate, failure.Reason);
        Assert.Equal(DtlsState.Failed, server.State);
    }

    [Fact]
    public async Task OurClient_OpenSslServerWithOtherCertificate_FingerprintMismatch()
    {
        await MakeOpenSslCertificateAsync();
        DtlsFingerprint expected = DtlsCertificate.Generate().Fingerprint; // not the one OpenSSL presents
        using var openssl = new ToolProcess(
            "openssl",
            ["s_server", "-dtls1_2", "-accept", "127.0.0.1:0", "-cert", "cert.pem", "-key", "key.pem", "-use_srtp", "SRTP_AES128_CM_SHA1_80"],
            _directory);
        string accept = await openssl.WaitForLineAsync(l => l.StartsWith("ACCEPT ", StringComparison.Ordinal), Timeout);
        using var udp = new UdpDatagramTransport(IPEndPoint.Parse(accept["ACCEPT ".Length..].Trim()));
        await using var client = new DtlsTransport(udp, DtlsCertificate.Generate(), DtlsRole.Client, [expected], Options());

        DtlsHandshakeException failure = await Assert.ThrowsAsync<DtlsHandshakeException>(() => client.StartAsync().WaitAsync(Timeout));

        Assert.Equal(DtlsFailureReason.FingerprintMismatch, failure.Reason);
        // OpenSSL is told why: our bad_certificate alert.
        await openssl.WaitForLineAsync(l => l.Contains("bad certificate", StringComparison.OrdinalIgnoreCase), Timeout);
    }
}
