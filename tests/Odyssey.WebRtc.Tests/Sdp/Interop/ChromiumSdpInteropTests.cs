using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Odyssey.WebRtc.Sdp;

namespace Odyssey.WebRtc.Tests.Sdp.Interop;

/// <summary>
/// Headless Chromium (Debian <c>chromium</c>) applies our answer to its own offer and answers our offer. The
/// page talks to a loopback HTTP endpoint of the test, which builds our side with <see cref="SdpNegotiator"/>.
/// </summary>
public sealed class ChromiumSdpInteropTests
{
    /// <summary>Generous bound for a browser start and one exchange on a loaded machine; only a hang reaches it.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private const string Chromium = "/usr/bin/chromium";

    private static readonly SdpLocalOptions Ours = new()
    {
        IceUfrag = "Od1s",
        IcePwd = "0123456789abcdefghijkl",
        Fingerprints = [new SdpFingerprint("sha-256", string.Join(':', Enumerable.Range(0, 32).Select(i => i.ToString("X2", System.Globalization.CultureInfo.InvariantCulture))))],
        Candidates = ["1 1 udp 2130706431 127.0.0.1 9 typ host"],
        EndOfCandidates = true,
    };

    /// <summary>
    /// The page: "answer" mode offers canvas video (+ audio) + a data channel and applies our answer; "offer"
    /// mode applies our offer and answers it. Either way it posts what Chromium negotiated to /result.
    /// </summary>
    private const string Page = """
        <!doctype html><meta charset="utf-8"><script>
        (async () => {
          const mode = new URLSearchParams(location.search).get('mode');
          const r = {};
          try {
            const pc = new RTCPeerConnection();
            if (mode === 'offer') {
              await pc.setRemoteDescription({ type: 'offer', sdp: await (await fetch('/our-offer')).text() });
              await pc.setLocalDescription(await pc.createAnswer());
              r.answer = pc.localDescription.sdp;
              r.codec = pc.getTransceivers()[0].receiver.getParameters().codecs[0]?.mimeType;
            } else {
              const canvas = document.createElement('canvas');
              canvas.width = 320; canvas.height = 240;
              canvas.getContext('2d').fillRect(0, 0, 10, 10);
              const stream = canvas.captureStream(30);
              pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream] });
              if (mode === 'answer-audio') pc.addTransceiver('audio', { direction: 'sendonly' });
              pc.createDataChannel('clientToStreamer');
              await pc.setLocalDescription(await pc.createOffer());
              const answer = await (await fetch('/answer', { method: 'POST', body: pc.localDescription.sdp })).text();
              await pc.setRemoteDescription({ type: 'answer', sdp: answer });
              r.codec = pc.getTransceivers()[0].sender.getParameters().codecs[0]?.mimeType;
              r.maxMessageSize = pc.sctp ? pc.sctp.maxMessageSize : null;
            }
            r.ok = true;
            pc.close();
          } catch (e) {
            r.ok = false;
            r.error = String(e);
          }
          await fetch('/result', { method: 'POST', body: JSON.stringify(r) });
        })();
        </script>
        """;

    [Theory]
    [InlineData("answer", "video/VP8")]
    [InlineData("answer-audio", "video/VP8")]
    public async Task ChromiumOffer_OurAnswer_IsApplied(string mode, string codec)
    {
        var result = await Run(mode, offer: null);

        Assert.True((bool)result["ok"]!, (string?)result["error"]);
        Assert.Equal(codec, (string?)result["codec"]);
        // Chromium honours our a=max-message-size as the most it may send us.
        Assert.Equal((double)SdpLocalOptions.DefaultMaxMessageSize, (double)result["maxMessageSize"]!);
    }

    [Theory]
    [InlineData("H264", "video/H264")]
    [InlineData("VP8", "video/VP8")]
    public async Task OurOffer_Chromium_AnswersWithOurCodec(string codecName, string mimeType)
    {
        var codec = codecName == "VP8" ? SdpCodecCapability.Vp8 : SdpCodecCapability.H264(H264Profile.ConstrainedBaseline);
        var offer = SdpNegotiator.CreateOffer(new SdpLocalOptions
        {
            IceUfrag = Ours.IceUfrag,
            IcePwd = Ours.IcePwd,
            Fingerprints = Ours.Fingerprints,
            Candidates = Ours.Candidates,
            EndOfCandidates = true,
            VideoCodecs = [codec],
        });

        var result = await Run("offer", offer);

        Assert.True((bool)result["ok"]!, (string?)result["error"]);
        Assert.Equal(mimeType, (string?)result["codec"]);
        var answer = SessionDescription.Parse((string)result["answer"]!);
        Assert.Equal(SdpDirection.RecvOnly, answer.Media[0].Direction);
        Assert.Equal(SdpSetupRole.Active, answer.SetupOf(answer.Media[0]));
        Assert.Equal(offer.Media[0].Codecs[0].PayloadType, answer.Media[0].Codecs[0].PayloadType);
        Assert.Equal(["0", "1"], answer.BundleMids);
    }

    private static async Task<JsonObject> Run(string mode, SessionDescription? offer)
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        using var cancel = new CancellationTokenSource(Timeout);
        var serving = Serve(listener, offer, cancel.Token);
        var profile = Directory.CreateTempSubdirectory("odyssey-sdp-chromium-");
        using var browser = StartChromium($"http://127.0.0.1:{port}/?mode={mode}", profile.FullName);
        try
        {
            return await serving.WaitAsync(Timeout);
        }
        finally
        {
            browser.Kill(entireProcessTree: true);
            await browser.WaitForExitAsync().WaitAsync(Timeout);
            listener.Stop();
            profile.Delete(recursive: true);
        }
    }

    private static async Task<JsonObject> Serve(HttpListener listener, SessionDescription? offer, CancellationToken cancel)
    {
        while (true)
        {
            var context = await listener.GetContextAsync().WaitAsync(cancel);
            var path = context.Request.Url!.AbsolutePath;
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(cancel);
            string reply;
            switch (path)
            {
                case "/answer":
                    reply = SdpNegotiator.CreateAnswer(SessionDescription.Parse(body), Ours).ToString();
                    break;
                case "/our-offer":
                    reply = offer!.ToString();
                    break;
                case "/result":
                    Respond(context, string.Empty, "text/plain");
                    return JsonNode.Parse(body)!.AsObject();
                case "/":
                    Respond(context, Page, "text/html");
                    continue;
                default:
                    context.Response.StatusCode = 404;
                    context.Response.Close();
                    continue;
            }

            Respond(context, reply, "application/sdp");
        }
    }

    private static void Respond(HttpListenerContext context, string text, string type)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        context.Response.ContentType = type;
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
    }

    internal static Process StartChromium(string url, string profile)
    {
        // Flags from INTEROP-NOTES.md: headless, no network chatter, loopback WebRTC allowed.
        var start = new ProcessStartInfo(Chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var flag in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", "--allow-loopback-in-peer-connection",
            "--disable-features=WebRtcHideLocalIpsWithMdns", url,
        })
        {
            start.ArgumentList.Add(flag);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
        // Drain its logging so a full pipe never blocks it.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
