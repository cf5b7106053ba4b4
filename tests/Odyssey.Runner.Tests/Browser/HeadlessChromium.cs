using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Odyssey.Runner.Tests;

/// <summary>
/// Debian's headless chromium driven over the DevTools protocol (its own WebSocket; no npm tooling):
/// navigate, evaluate script, take screenshots. One page per instance; disposing kills the browser and
/// removes its fresh profile.
/// </summary>
internal sealed partial class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    /// <summary>Generous for a browser start on a shared 2-core machine; only turns a hang into a failure.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly TempDirectory _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private HeadlessChromium(Process process, TempDirectory profile)
    {
        _process = process;
        _profile = profile;
    }

    public static bool IsInstalled => File.Exists(Executable);

    /// <summary>The flags of the data-channel issue: no sandbox (root in CI), no GPU, no background traffic, a fresh profile.</summary>
    public static IEnumerable<string> CommonFlags(string profile) =>
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", $"--user-data-dir={profile}",
    ];

    public static async Task<HeadlessChromium> StartAsync(int width = 1280, int height = 900)
    {
        var profile = new TempDirectory();
        var info = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var flag in CommonFlags(profile.Path))
        {
            info.ArgumentList.Add(flag);
        }

        info.ArgumentList.Add($"--window-size={width},{height}");
        info.ArgumentList.Add("--remote-debugging-port=0");
        info.ArgumentList.Add("about:blank");
        var process = Process.Start(info)!;
        var browser = new HeadlessChromium(process, profile);
        try
        {
            _ = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(StartTimeout);
            string? endpoint = null;
            while (endpoint is null)
            {
                var line = await process.StandardError.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException("chromium exited before it printed its DevTools address");
                if (DevToolsLine().Match(line) is { Success: true } match)
                {
                    endpoint = match.Groups[1].Value;
                }
            }

            // Keep draining stderr, or chromium blocks once the pipe fills.
            _ = Task.Run(async () => { while (await process.StandardError.ReadLineAsync() is not null) { } });
            var port = new Uri(endpoint).Port;
            using var http = new HttpClient();
            var pages = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list", timeout.Token))!.AsArray();
            var page = pages.First(p => (string?)p!["type"] == "page")!;
            await browser._socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), timeout.Token);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    public async Task NavigateAsync(string url)
    {
        await CallAsync("Page.enable");
        await CallAsync("Page.navigate", new JsonObject { ["url"] = url });
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its value as JSON.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await CallAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        return result["result"]?["value"];
    }

    /// <summary>Polls <paramref name="condition"/> (a boolean expression) until it holds; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(string condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var value = await EvaluateAsync($"!!({condition})");
            if (value?.GetValue<bool>() == true)
            {
                return;
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"the page never satisfied {condition}");
            }

            await Task.Delay(100);
        }
    }

    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await CallAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        return Convert.FromBase64String((string)result["data"]!);
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // Already gone.
        }

        _process.Dispose();
        _profile.Dispose();
    }

    private async Task<JsonNode> CallAsync(string method, JsonObject? parameters = null)
    {
        var id = ++_nextId;
        var request = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? [] };
        using var timeout = new CancellationTokenSource(CallTimeout);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _socket.ReceiveAsync(buffer, timeout.Token);
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);

            var reply = JsonNode.Parse(message.ToArray())!;
            if ((int?)reply["id"] != id)
            {
                continue; // an event, or a reply to nobody
            }

            if (reply["error"] is { } error)
            {
                throw new InvalidOperationException($"chromium {method}: {error.ToJsonString()}");
            }

            return reply["result"]!;
        }
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevToolsLine();
}
