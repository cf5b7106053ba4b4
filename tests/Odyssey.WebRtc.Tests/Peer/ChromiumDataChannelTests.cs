using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Odyssey.Media;
using Odyssey.WebRtc.Tests.Sdp.Interop;
using Xunit.Abstractions;

namespace Odyssey.WebRtc.Tests.Peer;

/// <summary>
/// Headless Chromium (libwebrtc, the engine of the real service) as the peer: a page served on 127.0.0.1
/// offers a canvas captureStream() video track and the clientToStreamer data channel; our PeerConnection
/// answers, decodes the video and echoes every message; the page checks the echoes (strings, 100 KiB binaries,
/// an empty string) and posts its verdict back. In a fresh network namespace.
/// </summary>
public sealed class ChromiumDataChannelTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>Frames we must decode from the canvas track: about two seconds of it.</summary>
    private const int FramesToDecode = 30;

    private const string Page = """
        <!doctype html><meta charset="utf-8"><script>
        (async () => {
          const r = {};
          try {
            const pc = new RTCPeerConnection();
            const canvas = document.createElement('canvas');
            canvas.width = 320; canvas.height = 240;
            const g = canvas.getContext('2d');
            let t = 0;
            setInterval(() => {
              g.fillStyle = `hsl(${(t * 7) % 360}, 80%, 50%)`; g.fillRect(0, 0, 320, 240);
              g.fillStyle = '#fff'; g.fillRect((t * 5) % 300, 100, 20, 20); t++;
            }, 33);
            const stream = canvas.captureStream(30);
            pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream] });
            const dc = pc.createDataChannel('clientToStreamer');
            dc.binaryType = 'arraybuffer';
            const N = 200, B = 5;
            const big = new Uint8Array(100 * 1024).map((_, k) => k & 255);
            const e = { strings: 0, binaries: 0, empty: 0, errors: [] };
            const done = new Promise(resolve => {
              dc.onmessage = m => {
                if (typeof m.data === 'string') {
                  if (m.data === '') e.empty++;
                  else { if (m.data !== 'm' + e.strings) e.errors.push(m.data.slice(0, 40)); e.strings++; }
                } else {
                  const a = new Uint8Array(m.data);
                  if (a.length !== big.length || a.some((v, k) => v !== big[k])) e.errors.push('binary ' + e.binaries);
                  e.binaries++;
                }
                if (e.strings === N && e.binaries === B && e.empty === 1) resolve();
              };
            });
            dc.onopen = () => {
              for (let i = 0; i < N; i++) dc.send('m' + i);
              for (let j = 0; j < B; j++) dc.send(big);
              dc.send('');
            };
            await pc.setLocalDescription(await pc.createOffer());
            await new Promise(res => {
              if (pc.iceGatheringState === 'complete') res();
              pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') res(); };
              setTimeout(res, 3000);
            });
            const answer = await (await fetch('/answer', { method: 'POST', body: pc.localDescription.sdp })).text();
            await pc.setRemoteDescription({ type: 'answer', sdp: answer });
            await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('echo timeout ' + JSON.stringify(e))), 60000))]);
            r.ok = e.errors.length === 0;
            r.echoed = e;
            r.label = dc.label; r.id = dc.id;
            r.maxMessageSize = pc.sctp.maxMessageSize;
          } catch (x) {
            r.ok = false;
            r.error = String(x);
          }
          await fetch('/result', { method: 'POST', body: JSON.stringify(r) });
        })();
        </script>
        """;

    [Fact]
    public Task Chromium_OffersVideoAndChannel_WeAnswerDecodeAndEcho() =>
        NetworkNamespace.RunAsync<ChromiumDataChannelTests>(nameof(Chromium_OffersVideoAndChannel_WeAnswerDecodeAndEcho), output, RunAsync);

    private async Task RunAsync()
    {
        if (!File.Exists("/usr/bin/chromium"))
        {
            Assert.Fail("chromium is not installed: run scripts/setup.sh (Debian package chromium)");
        }

        var frames = new VideoFramePool();
        var connection = new PeerConnection(PeerConnectionTests.LoopbackOptions());
        await using (connection)
        {
            var echoed = 0;
            RtcDataChannel? announced = null;
            connection.DataChannel += channel =>
            {
                announced = channel;
                channel.Message += (c, m) =>
                {
                    Interlocked.Increment(ref echoed);
                    _ = m.IsBinary ? c.SendAsync(m.Data.ToArray()) : c.SendAsync(m.Text);
                };
            };

            var port = ChromiumSdpInteropTests.FreePort();
            using var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            listener.Start();
            using var cancel = new CancellationTokenSource(Timeout);
            var serving = ServeAsync(listener, connection, cancel.Token);
            var profile = Directory.CreateTempSubdirectory("odyssey-dc-chromium-");
            using var browser = ChromiumSdpInteropTests.StartChromium($"http://127.0.0.1:{port}/", profile.FullName);
            try
            {
                await connection.WhenConnectedAsync().WaitAsync(Timeout);
                var decoded = await DecodeAsync(connection.RemoteVideo!, frames, FramesToDecode, cancel.Token);
                var result = await serving.WaitAsync(Timeout);
                output.WriteLine($"chromium: {result.ToJsonString()}; we decoded {decoded} frames, echoed {echoed} messages");
                Assert.True((bool)result["ok"]!, result.ToJsonString());
                Assert.Equal(200, (int)result["echoed"]!["strings"]!);
                Assert.Equal(5, (int)result["echoed"]!["binaries"]!);
                Assert.Equal(1, (int)result["echoed"]!["empty"]!);
                Assert.Equal("clientToStreamer", announced!.Label);
                Assert.Equal(262144, (double)result["maxMessageSize"]!);
                Assert.True(decoded >= FramesToDecode, $"decoded {decoded} frames");
            }
            finally
            {
                browser.Kill(entireProcessTree: true);
                await browser.WaitForExitAsync().WaitAsync(Timeout);
                listener.Stop();
                profile.Delete(recursive: true);
            }
        }

        Assert.Equal(0, frames.Outstanding);
    }

    private static async Task<int> DecodeAsync(RemoteVideoTrack track, VideoFramePool frames, int count, CancellationToken cancel)
    {
        using var decoder = new Odyssey.Media.FFmpeg.VideoDecoder(track.Codec, frames);
        decoder.KeyframeRequested += (_, _) => track.RequestKeyframe();
        var decoded = 0;
        while (decoded < count)
        {
            var packet = await track.Frames.ReadAsync(cancel);
            try
            {
                decoder.Send(packet);
            }
            finally
            {
                packet.Release();
            }

            while (decoder.TryReceive(out var frame))
            {
                decoded++;
                frame.Release();
            }
        }

        return decoded;
    }

    private static async Task<JsonObject> ServeAsync(HttpListener listener, PeerConnection connection, CancellationToken cancel)
    {
        while (true)
        {
            var context = await listener.GetContextAsync().WaitAsync(cancel);
            var path = context.Request.Url!.AbsolutePath;
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(cancel);
            switch (path)
            {
                case "/":
                    Respond(context, Page, "text/html");
                    break;
                case "/answer":
                    await connection.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Offer, body), cancel);
                    await connection.SetLocalDescriptionAsync(await connection.CreateAnswerAsync(cancel), cancel);
                    await connection.WhenGatheringCompleteAsync(cancel);
                    Respond(context, connection.LocalDescription!.Sdp, "application/sdp");
                    break;
                case "/result":
                    Respond(context, string.Empty, "text/plain");
                    return JsonNode.Parse(body)!.AsObject();
                default:
                    context.Response.StatusCode = 404;
                    context.Response.Close();
                    break;
            }
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
}
