using Odyssey.Tests;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using OpenCvSharp;

namespace Odyssey.Runner.Tests;

/// <summary><c>run --preview</c> on a live test pattern, watched by headless chromium and by a plain WebSocket client.</summary>
public sealed class PreviewTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly string[] Blocks = ["source", "convert", "blur", "motion", "records", "video", "stills", "report", "preview"];

    [Fact]
    public async Task RunPreview_TestPattern_BrowserAndSocketSeeOrderedChangingFramesAndEveryBlock()
    {
        Assert.True(HeadlessChromium.IsInstalled, $"{HeadlessChromium.Executable} is missing: run scripts/setup.sh");
        using var work = new TempDirectory();
        var port = FreePort();
        using var runner = Process.Start(RunnerProcess.StartInfo(work.Path, "run", Path.Combine(RunnerProcess.PipelinesDirectory, "testpattern-analysis.json"),
            "--plain", "--preview-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--set", "source.realtime=true", "--set", "source.frames=0"))!;
        var exited = RunnerProcess.WaitAsync(runner);
        try
        {
            var page = new Uri($"http://127.0.0.1:{port}/");
            await WaitForPageAsync(page, exited);

            // From the test side: frames arrive in order, as JPEGs, and the metrics name every block.
            await using (var socket = await ConnectAsync(port))
            {
                var frames = new List<(long Sequence, long Frame)>();
                JsonNode? metrics = null;
                using var timeout = new CancellationTokenSource(Patience);
                while (frames.Count < 8 || metrics is null)
                {
                    var (binary, payload) = await WebSocketMessages.ReceiveAsync(socket.Socket, timeout.Token);
                    if (binary)
                    {
                        frames.Add((BinaryPrimitives.ReadInt64LittleEndian(payload), BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(8))));
                        using var jpeg = Cv2.ImDecode(payload.AsSpan(16).ToArray(), ImreadModes.Color);
                        Assert.Equal(640, jpeg.Width);
                    }
                    else if (JsonNode.Parse(payload) is { } message && (string?)message["type"] == "metrics")
                    {
                        metrics = message;
                    }
                }

                for (var i = 1; i < frames.Count; i++)
                {
                    Assert.True(frames[i].Sequence > frames[i - 1].Sequence, $"sequence went from {frames[i - 1].Sequence} to {frames[i].Sequence}");
                    Assert.True(frames[i].Frame > frames[i - 1].Frame, $"frame index went from {frames[i - 1].Frame} to {frames[i].Frame}");
                }

                var names = metrics["blocks"]!.AsArray().Select(b => (string?)b!["name"]).ToList();
                Assert.Equal(Blocks, names);
            }

            // From the browser: the video area shows the pattern, and it moves on between two screenshots.
            await using (var browser = await HeadlessChromium.StartAsync())
            {
                await browser.NavigateAsync(page.AbsoluteUri);
                await browser.WaitForAsync("window.previewState && previewState.frames >= 3 && document.querySelectorAll('#blocks tbody tr').length == 9", Patience);
                var table = (string?)await browser.EvaluateAsync("document.querySelector('#blocks').innerText") ?? "";
                foreach (var block in Blocks)
                {
                    Assert.Contains(block, table, StringComparison.Ordinal);
                }

                var box = (await browser.EvaluateAsync("(() => { const r = document.getElementById('video').getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()"))!.AsArray();
                var region = new Rect((int)Math.Ceiling((double)box[0]!) + 1, (int)Math.Ceiling((double)box[1]!) + 1, 640, 360);
                var first = await browser.ScreenshotAsync();
                var shown = (int)(await browser.EvaluateAsync("previewState.frames"))!;
                await browser.WaitForAsync($"previewState.frames >= {shown + 3}", Patience);
                var second = await browser.ScreenshotAsync();
                ScreenImages.SaveArtefact("preview-1.png", first);
                ScreenImages.SaveArtefact("preview-2.png", second);

                using var one = ScreenImages.Decode(first);
                using var two = ScreenImages.Decode(second);
                Assert.True(ScreenImages.Spread(one, region) > ScreenImages.BlankStandardDeviation, "the video area is blank");
                var before = ScreenImages.FrameIndex(one, region);
                var after = ScreenImages.FrameIndex(two, region);
                Assert.True(before is not null && after is not null, $"the frame index stamp is unreadable in the screenshots ({before}, {after})");
                Assert.True(after > before, $"the video did not move on: frame {before}, then {after}");
                Assert.Equal(0, (int)(await browser.EvaluateAsync("previewState.outOfOrder"))!);
            }

            // Both viewers are gone: a new one is told it is alone, so closed tabs were let go.
            await using (var last = await ConnectAsync(port))
            {
                using var timeout = new CancellationTokenSource(Patience);
                while (true)
                {
                    var (binary, payload) = await WebSocketMessages.ReceiveAsync(last.Socket, timeout.Token);
                    if (!binary && JsonNode.Parse(payload) is { } message && (string?)message["type"] == "metrics" && (int)message["previewClients"]! == 1)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            Terminate(runner);
        }

        var outcome = await exited;
        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.StandardError}");
        Assert.Contains($"preview \"preview\": http://127.0.0.1:{port}/", outcome.StandardError, StringComparison.Ordinal);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGTERM, as a service manager would stop it: the runner drains and exits 0.</summary>
    internal static void Terminate(Process process)
    {
        if (!process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    private static async Task WaitForPageAsync(Uri page, Task<RunnerProcess.Outcome> exited)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (exited.IsCompleted)
            {
                var outcome = await exited;
                Assert.Fail($"the runner exited ({outcome.ExitCode}) before serving the preview: {outcome.StandardError}");
            }

            try
            {
                var html = await http.GetStringAsync(page);
                Assert.Contains("previewState", html, StringComparison.Ordinal);
                return;
            }
            catch (HttpRequestException) when (deadline.Elapsed < Patience)
            {
                await Task.Delay(200);
            }
        }
    }

    private static async Task<Connection> ConnectAsync(int port)
    {
        var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(Patience);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"), timeout.Token);
        return new Connection(socket);
    }

    private sealed class Connection(ClientWebSocket socket) : IAsyncDisposable
    {
        public ClientWebSocket Socket => socket;

        public async ValueTask DisposeAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "test done", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The server may already be gone.
            }

            socket.Dispose();
        }
    }
}
