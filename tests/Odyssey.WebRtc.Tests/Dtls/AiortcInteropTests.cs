using System.Net;
using Odyssey.Tests;
using Odyssey.WebRtc.Dtls;
using Odyssey.WebRtc.Srtp;

namespace Odyssey.WebRtc.Tests.Dtls;

/// <summary>
/// Our DTLS and SRTP against aiortc 1.4's RTCDtlsTransport (Debian python3-aiortc) in both roles over
/// loopback UDP: same exported keys, SRTP from each side unprotected by the other (libsrtp there, ours
/// here), DTLS application data both ways, and aiortc's close_notify closing us.
/// </summary>
public sealed class AiortcInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static string Value(string line, string key) =>
        line.StartsWith(key + " ", StringComparison.Ordinal) ? line[(key.Length + 1)..].Trim() : throw new InvalidOperationException(line);

    [Theory]
    [InlineData(DtlsRole.Client)]
    [InlineData(DtlsRole.Server)]
    public async Task Aiortc_EitherRole_SameKeysSrtpAndDataBothWays(DtlsRole ourRole)
    {
        string script = Path.Combine(RepositoryRoot.Path, "tests", "Odyssey.WebRtc.Tests", "Dtls", "Scripts", "aiortc_dtls_peer.py");
        using var aiortc = new ToolProcess("/usr/bin/python3", [script]);
        int port = int.Parse(Value(await aiortc.WaitForLineAsync(l => l.StartsWith("port ", StringComparison.Ordinal), Timeout), "port"), System.Globalization.CultureInfo.InvariantCulture);
        DtlsFingerprint theirs = DtlsFingerprint.Parse("sha-256 " + Value(await aiortc.WaitForLineAsync(l => l.StartsWith("fingerprint ", StringComparison.Ordinal), Timeout), "fingerprint"));

        using var udp = new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, port));
        var srtpFromAiortc = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        udp.Received += datagram =>
        {
            if (DatagramDemux.Classify(datagram) == DatagramKind.Rtp)
            {
                srtpFromAiortc.TrySetResult(datagram.ToArray());
            }
        };
        DtlsCertificate certificate = DtlsCertificate.Generate();
        var options = new DtlsOptions { HandshakeTimeout = TimeSpan.FromSeconds(20) };
        await using var dtls = new DtlsTransport(udp, certificate, ourRole, [theirs], options);
        var dataFromAiortc = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        dtls.DataReceived += data => dataFromAiortc.TrySetResult(ToolProcess.Utf8(data));
        dtls.StateChanged += state =>
        {
            if (state == DtlsState.Closed)
            {
                closed.TrySetResult();
            }
        };

        Task started = dtls.StartAsync();
        string fingerprintValue = certificate.Fingerprint.ToString()["sha-256 ".Length..];
        await aiortc.Input.WriteLineAsync($"peer {udp.LocalEndPoint.Port} {fingerprintValue} {(ourRole == DtlsRole.Client ? "server" : "client")}");
        await aiortc.Input.FlushAsync();
        await started.WaitAsync(Timeout);

        Assert.Equal("connected", Value(await aiortc.WaitForLineAsync(l => l.StartsWith("state ", StringComparison.Ordinal), Timeout), "state"));
        Assert.Equal(SrtpProfile.Aes128CmHmacSha1_80, dtls.SrtpProfile); // all aiortc offers
        string keying = Value(await aiortc.WaitForLineAsync(l => l.StartsWith("keying ", StringComparison.Ordinal), Timeout), "keying");
        Assert.Equal(keying, Convert.ToHexString(dtls.ExportedKeyingMaterial!), ignoreCase: true);

        // aiortc → us: its libsrtp-protected RTP unprotects with our remote key.
        byte[] plain = Convert.FromHexString(Value(await aiortc.WaitForLineAsync(l => l.StartsWith("plain ", StringComparison.Ordinal), Timeout), "plain"));
        byte[] packet = await srtpFromAiortc.Task.WaitAsync(Timeout);
        using (var receiver = new SrtpContext(dtls.RemoteSrtpKey!))
        {
            Assert.Equal(SrtpError.None, receiver.UnprotectRtp(packet, out int length));
            Assert.Equal(plain, packet[..length]);
        }

        Assert.Equal("hello from aiortc", await dataFromAiortc.Task.WaitAsync(Timeout));

        // us → aiortc: our SRTP, unprotected by its libsrtp session, and DTLS data.
        byte[] ours = Srtp.RtpPackets.Rtp(777, ssrc: 0x0DD5E7, payload: 300);
        using (var sender = new SrtpContext(dtls.LocalSrtpKey!))
        {
            var buffer = new byte[ours.Length + sender.RtpOverhead];
            ours.CopyTo(buffer, 0);
            Assert.Equal(SrtpError.None, sender.ProtectRtp(buffer, ours.Length, out int protectedLength));
            udp.Send(buffer.AsSpan(0, protectedLength));
        }

        string rtp = Value(await aiortc.WaitForLineAsync(l => l.StartsWith("rtp ", StringComparison.Ordinal), Timeout), "rtp");
        Assert.Equal(Convert.ToHexString(ours), rtp, ignoreCase: true);
        dtls.Send("hello from odyssey"u8);
        await aiortc.WaitForLineAsync(l => l == "data hello from odyssey", Timeout);

        // aiortc closes: its close_notify moves us to Closed.
        await aiortc.Input.WriteLineAsync("stop");
        await aiortc.Input.FlushAsync();
        await closed.Task.WaitAsync(Timeout);
        Assert.Equal(DtlsState.Closed, dtls.State);
    }
}
