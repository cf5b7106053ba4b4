using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Odyssey.Emulator;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;

namespace Odyssey.Client.Tests;

/// <summary>§7 telemetry: opt-in, the Python client's event fields, no auth header, only the key's prefix.</summary>
public sealed class TelemetryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static OdysseyClient Client(EmulatorServer emulator, HttpClient http, bool telemetry, string? apiKey = null) => new(new ClientConfig
    {
        ApiKey = apiKey ?? emulator.ApiKey,
        ApiUrl = emulator.ApiUrl.ToString(),
        EnableTelemetry = telemetry,
        HttpClient = http,
        Advanced = new AdvancedConfig
        {
            MaxRetries = 0,
            PeerConnection = new PeerConnectionOptions { Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false } },
        },
    });

    [Fact]
    public async Task Enabled_ConnectAndDisconnect_ThreeSessionEventsWithPyFields()
    {
        await using var emulator = await EmulatorServer.StartAsync(new EmulatorOptions { Width = 320, Height = 176, BitrateKbps = 300 });
        var recorder = new RequestRecorder();
        using var http = new HttpClient(recorder);
        using var cancel = new CancellationTokenSource(Timeout);
        var client = Client(emulator, http, telemetry: true);
        await client.ConnectAsync(cancellationToken: cancel.Token);
        var sessionId = client.SessionId;
        await client.DisconnectAsync();
        await client.DisposeAsync();

        var events = emulator.TelemetryEvents;
        Assert.Equal(["session_connecting", "session_connected", "session_disconnected"], events.Select(e => (string?)e["event"]));
        foreach (var e in events)
        {
            Assert.Equal("dotnet", (string?)e["sdk_platform"]);
            Assert.False(string.IsNullOrEmpty((string?)e["sdk_version"]));
            Assert.False(string.IsNullOrEmpty((string?)e["platform_info"]));
            Assert.Equal(emulator.ApiKey[..8], (string?)e["api_key_prefix"]);
            Assert.DoesNotContain(emulator.ApiKey, e.ToJsonString(), StringComparison.Ordinal);
            Assert.False(e.ContainsKey("error_type"));
        }

        Assert.Equal(sessionId, (string?)events[1]["session_id"]);
        Assert.Equal(sessionId, (string?)events[2]["session_id"]);
        Assert.True((long)events[1]["connect_duration_ms"]! >= 0);
        Assert.False(events[0].ContainsKey("connect_duration_ms"));
        var posts = recorder.Requests.Where(r => r.Path == "/telemetry").ToList();
        Assert.Equal(3, posts.Count);
        Assert.All(posts, r => Assert.False(r.HadAuthorization));
    }

    [Fact]
    public async Task Enabled_RefusedKey_AuthErrorEventWithStatusFailed()
    {
        await using var emulator = await EmulatorServer.StartAsync(new EmulatorOptions { Width = 320, Height = 176 });
        using var http = new HttpClient(new RequestRecorder());
        using var cancel = new CancellationTokenSource(Timeout);
        var client = Client(emulator, http, telemetry: true, apiKey: "ody_wrongwrongwrong");

        await Assert.ThrowsAsync<OdysseyAuthError>(() => client.ConnectAsync(cancellationToken: cancel.Token));
        await client.DisposeAsync();

        var error = Assert.Single(emulator.TelemetryEvents, e => e.ContainsKey("error_type"));
        Assert.Equal("auth", (string?)error["error_type"]);
        Assert.Equal("Invalid API key", (string?)error["error_message"]);
        Assert.Equal("failed", (string?)error["connection_status"]);
        Assert.Equal("ody_wron", (string?)error["api_key_prefix"]);
        Assert.False(error.ContainsKey("event"));
    }

    [Fact]
    public async Task Default_Off_NothingSent()
    {
        await using var emulator = await EmulatorServer.StartAsync(new EmulatorOptions { Width = 320, Height = 176, BitrateKbps = 300 });
        var recorder = new RequestRecorder();
        using var http = new HttpClient(recorder);
        using var cancel = new CancellationTokenSource(Timeout);
        Assert.False(new ClientConfig().EnableTelemetry);
        var client = Client(emulator, http, telemetry: false);

        await client.ConnectAsync(cancellationToken: cancel.Token);
        await client.DisposeAsync();

        Assert.Empty(emulator.TelemetryEvents);
        Assert.DoesNotContain(recorder.Requests, r => r.Path == "/telemetry");
    }

    private sealed class RequestRecorder() : DelegatingHandler(new HttpClientHandler())
    {
        public ConcurrentQueue<(string Path, bool HadAuthorization)> Requests { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Enqueue((request.RequestUri!.AbsolutePath, request.Headers.Authorization is not null));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
