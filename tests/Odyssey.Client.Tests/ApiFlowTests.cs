using System.Text.Json;
using Odyssey.Client.Tests.Fakes;

namespace Odyssey.Client.Tests;

/// <summary>§2 steps 2–5 and §7 against a fake API on 127.0.0.1, on a fake clock.</summary>
public sealed class ApiFlowTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private FakeOdyssey _fake = null!;
    private readonly RecordingClock _clock = new();
    private readonly List<(ConnectionStatus Status, string? Message)> _statuses = [];
    private readonly List<(OdysseyError Error, bool Fatal)> _errors = [];

    public async Task InitializeAsync() => _fake = await FakeOdyssey.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private OdysseyClient Client(AdvancedConfig? advanced = null, string apiKey = FakeOdyssey.ApiKey) => new(new ClientConfig
    {
        ApiKey = apiKey,
        ApiUrl = _fake.Url,
        TimeProvider = _clock,
        Advanced = advanced ?? new AdvancedConfig { MaxRetries = 0 },
    });

    private OdysseyEventHandlers Handlers => new()
    {
        OnStatusChange = (s, m) => { lock (_statuses) { _statuses.Add((s, m)); } },
        OnError = (e, f) => { lock (_errors) { _errors.Add((e, f)); } },
    };

    [Theory]
    [InlineData(401, """{"detail":"nope"}""", "Invalid API key")]
    [InlineData(403, """{"detail":"Key revoked by admin"}""", "Key revoked by admin")]
    [InlineData(403, """{}""", "API key access denied")]
    [InlineData(422, """{}""", "Invalid API key format.")]
    public async Task Connect_AuthRefused_AuthErrorStatusFailedFatalOnError(int status, string body, string message)
    {
        _fake.Routes["POST /auth/token"] = ctx => WriteRaw(ctx, status, body);
        await using var client = Client();

        var error = await Assert.ThrowsAsync<OdysseyAuthError>(() => client.ConnectAsync(Handlers).WaitAsync(Timeout));

        Assert.StartsWith(message, error.Message);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal(ConnectionStatus.Failed, client.Status);
        Assert.Equal([ConnectionStatus.Authenticating, ConnectionStatus.Failed], _statuses.Select(s => s.Status));
        Assert.Equal("Connecting to Odyssey...", _statuses[0].Message);
        var (reported, fatal) = Assert.Single(_errors);
        Assert.Same(error, reported);
        Assert.True(fatal);
        Assert.Equal(FakeOdyssey.ApiKey, JsonDocument.Parse(_fake.Requests.First().Body).RootElement.GetProperty("api_key").GetString());
    }

    [Fact]
    public async Task Connect_AuthServerError_ConnectionErrorWithStatusAndReason()
    {
        _fake.Routes["POST /auth/token"] = ctx => WriteRaw(ctx, 500, "{}");
        await using var client = Client();

        var error = await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync(Handlers).WaitAsync(Timeout));

        Assert.Equal("Authentication failed: 500 Internal Server Error", error.Message);
    }

    [Fact]
    public async Task Connect_BlankApiKey_AuthErrorBeforeAnyRequest()
    {
        await using var client = Client(apiKey: "  ");
        await Assert.ThrowsAsync<OdysseyAuthError>(() => client.ConnectAsync().WaitAsync(Timeout));
        Assert.Empty(_fake.Requests);
    }

    [Fact]
    public async Task AccessToken_ReusedUntilSixtySecondsBeforeExpiry()
    {
        _fake.Routes["POST /auth/token"] = ctx => FakeOdyssey.Json(ctx, 200, new { access_token = FakeOdyssey.AccessToken, expires_in = 120 });
        _fake.Routes["GET /stream-recordings"] = ctx => FakeOdyssey.Json(ctx, 200, new { recordings = Array.Empty<object>(), total = 0, limit = 10, offset = 0 });
        await using var client = Client();

        await client.ListStreamRecordingsAsync().WaitAsync(Timeout);
        _clock.Advance(TimeSpan.FromSeconds(59));
        await client.ListStreamRecordingsAsync().WaitAsync(Timeout);
        Assert.Equal(1, _fake.Count("POST /auth/token"));

        _clock.Advance(TimeSpan.FromSeconds(1)); // now 60 s before expiry: refresh
        await client.ListStreamRecordingsAsync().WaitAsync(Timeout);
        Assert.Equal(2, _fake.Count("POST /auth/token"));
        Assert.All(_fake.Requests.Where(r => r.Path == "/stream-recordings"), r => Assert.Equal($"Bearer {FakeOdyssey.AccessToken}", r.Authorization));
    }

    [Fact]
    public async Task Connect_NoStreamerAndZeroQueueTimeout_FailsAtOnce()
    {
        _fake.Routes["POST /sessions/request"] = ctx => WriteRaw(ctx, 503, "{}");
        await using var client = Client(new AdvancedConfig { QueueTimeout = TimeSpan.Zero });

        var error = await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync(Handlers).WaitAsync(Timeout));

        Assert.Equal("No streamers available. Please try again later.", error.Message);
        Assert.Equal(1, _fake.Count("POST /sessions/request"));
        Assert.Equal(ConnectionStatus.Failed, client.Status);
    }

    [Fact]
    public async Task Connect_NoStreamerForTheWholeQueueTimeout_PollsEverySecondThenTimesOut()
    {
        _fake.Routes["POST /sessions/request"] = ctx => WriteRaw(ctx, 503, "{}");
        await using var client = Client(new AdvancedConfig { QueueTimeout = TimeSpan.FromSeconds(3), MaxRetries = 0 });

        var connect = client.ConnectAsync(Handlers);
        for (var poll = 1; poll <= 3; poll++)
        {
            await _clock.AdvanceWhenScheduledAsync(TimeSpan.FromSeconds(1), poll);
        }

        var error = await Assert.ThrowsAsync<OdysseyConnectionError>(() => connect.WaitAsync(Timeout));
        Assert.Equal("Timed out waiting for a streamer (3s)", error.Message);
        Assert.Equal(4, _fake.Count("POST /sessions/request")); // t = 0, 1, 2, 3 s
        Assert.All(_statuses.SkipLast(1), s => Assert.Equal(ConnectionStatus.Authenticating, s.Status)); // queueing stays authenticating
    }

    [Fact]
    public async Task CreateCredentials_QueueThenStreamerFree_ReturnsSessionAndToken()
    {
        var calls = 0;
        _fake.Routes["POST /sessions/request"] = ctx => Interlocked.Increment(ref calls) == 1
            ? WriteRaw(ctx, 503, "{}")
            : FakeOdyssey.Json(ctx, 200, new { session_id = FakeOdyssey.SessionId, signalling_url = "wss://sig.example", capabilities = new { image_to_video = true } });
        await using var client = Client();

        var mint = client.CreateClientCredentialsAsync();
        await _clock.AdvanceWhenScheduledAsync(TimeSpan.FromSeconds(1));
        var credentials = await mint.WaitAsync(Timeout);

        Assert.Equal(FakeOdyssey.SessionId, credentials.SessionId);
        Assert.Equal("wss://sig.example", credentials.SignalingUrl);
        Assert.Equal(_fake.SessionToken, credentials.SessionToken);
        Assert.Equal(600, credentials.ExpiresIn);
        Assert.True(credentials.Capabilities!.ImageToVideo);
        var tokenRequest = _fake.Requests.Single(r => r.Path == "/sessions/token");
        Assert.Equal(FakeOdyssey.SessionId, JsonDocument.Parse(tokenRequest.Body).RootElement.GetProperty("session_id").GetString());
        Assert.Equal(ConnectionStatus.Disconnected, client.Status); // minting connects nothing
    }

    public static TheoryData<string, Type> UsageBodies => new()
    {
        { """{"detail":{"error":"MONTHLY_LIMIT_REACHED","message":"Monthly limit reached","action":"Upgrade","action_url":"https://x","details":{"used_hours":10,"limit_hours":10,"reset_date":"2026-12-01"}}}""", typeof(MonthlyLimitReachedError) },
        { """{"detail":{"code":"CONCURRENT_LIMIT_REACHED","message":"Too many","action":"Wait","details":{"active_count":5,"limit":5}}}""", typeof(ConcurrentLimitReachedError) },
        { """{"error":"STREAM_DURATION_EXCEEDED","message":"Too long","action":"-","details":{"max_duration_seconds":150}}""", typeof(StreamDurationExceededError) },
        { """{"detail":{"error":"ACCOUNT_SUSPENDED","message":"Suspended","action":"Contact","details":{"reason":"billing"}}}""", typeof(AccountSuspendedError) },
        { """{"detail":{"error":"RATE_LIMITED","message":"Slow down","action":"Wait","details":{"retry_after_seconds":30}}}""", typeof(RateLimitError) },
        { """{"detail":{"error":"SOMETHING_ELSE","message":"Other","action":"?"}}""", typeof(OdysseyUsageError) },
    };

    [Theory]
    [MemberData(nameof(UsageBodies))]
    public async Task Connect_429WithUsageObject_TypedUsageErrorStatusFailed(string body, Type type)
    {
        _fake.Routes["POST /sessions/request"] = ctx => WriteRaw(ctx, 429, body);
        await using var client = Client();

        var error = await Assert.ThrowsAnyAsync<OdysseyUsageError>(() => client.ConnectAsync(Handlers).WaitAsync(Timeout));

        Assert.IsType(type, error);
        Assert.Equal(ConnectionStatus.Failed, client.Status);
        Assert.True(Assert.Single(_errors).Fatal);
        if (error is StreamDurationExceededError duration)
        {
            Assert.Equal(150, duration.MaxDurationSeconds);
        }

        if (error is MonthlyLimitReachedError monthly)
        {
            Assert.Equal("Monthly limit reached", monthly.Message);
            Assert.Equal("https://x", monthly.ActionUrl);
            Assert.Equal("2026-12-01", monthly.ResetDate);
        }
    }

    [Theory]
    [InlineData("""{"detail":"Slow down please"}""", "Slow down please")]
    [InlineData("""{"detail":42}""", "Request limit exceeded")]
    [InlineData("not json", "Request limit exceeded")]
    public async Task Connect_429WithoutUsageObject_ConnectionErrorWithText(string body, string message)
    {
        _fake.Routes["POST /sessions/request"] = ctx => WriteRaw(ctx, 429, body);
        await using var client = Client();

        var error = await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync().WaitAsync(Timeout));

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("/sessions/request", 500, "API request failed: 500 Internal Server Error")]
    [InlineData("/sessions/token", 404, "Session not found or not authorized")]
    [InlineData("/sessions/token", 500, "Failed to get session token: 500 Internal Server Error")]
    public async Task Connect_SessionStepFails_ConnectionErrorWithExactText(string path, int status, string message)
    {
        _fake.Routes["POST " + path] = ctx => WriteRaw(ctx, status, "{}");
        await using var client = Client();

        var error = await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync().WaitAsync(Timeout));

        Assert.Equal(message, error.Message);
        Assert.Equal(ConnectionStatus.Failed, client.Status);
    }

    [Theory]
    [InlineData("""{"signalling_url":"ws://x"}""", "Invalid API response: missing session_id or signalling_url")]
    [InlineData("""{"session_id":"s","signaling_url":"ws://x"}""", "Invalid API response: missing session_id or signalling_url")]
    public async Task Connect_SessionResponseIncomplete_ConnectionError(string body, string message)
    {
        _fake.Routes["POST /sessions/request"] = ctx => WriteRaw(ctx, 200, body);
        await using var client = Client();
        var error = await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync().WaitAsync(Timeout));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public async Task Connect_RegionsListed_SessionRequestCarriesLatenciesWith9999ForAFailedPing()
    {
        _fake.Routes["GET /regions"] = ctx => FakeOdyssey.Json(ctx, 200, new
        {
            regions = new[] { new { id = "eu", ping_url = _fake.Url + "/ping-ok" }, new { id = "us", ping_url = _fake.Url + "/ping-bad" } },
        });
        _fake.Routes["GET /ping-ok"] = ctx => WriteRaw(ctx, 200, "{}");
        _fake.Routes["GET /ping-bad"] = ctx => WriteRaw(ctx, 500, "{}");
        _fake.Routes["POST /sessions/token"] = ctx => WriteRaw(ctx, 500, "{}"); // stop after the session request
        await using var client = Client();

        await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync().WaitAsync(Timeout));

        var body = JsonDocument.Parse(_fake.Requests.Single(r => r.Path == "/sessions/request").Body).RootElement;
        var latencies = body.GetProperty("region_latencies");
        Assert.InRange(latencies.GetProperty("eu").GetInt32(), 0, 9998);
        Assert.Equal(9999, latencies.GetProperty("us").GetInt32());
        Assert.Equal($"Bearer {FakeOdyssey.AccessToken}", _fake.Requests.Single(r => r.Path == "/regions").Authorization);
    }

    [Fact]
    public async Task Connect_RegionsUnavailable_SessionRequestBodyIsEmptyObject()
    {
        _fake.Routes["POST /sessions/token"] = ctx => WriteRaw(ctx, 500, "{}");
        await using var client = Client();
        await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync().WaitAsync(Timeout));
        Assert.Equal("{}", _fake.Requests.Single(r => r.Path == "/sessions/request").Body);
    }

    [Fact]
    public async Task Recordings_GetAndList_ParseFieldsAndSendQueryOnlyWhenGiven()
    {
        _fake.Routes["GET /recordings/st-1"] = ctx => FakeOdyssey.Json(ctx, 200, new
        {
            stream_id = "st-1", video_url = "https://v/mp4", events_url = (string?)null, thumbnail_url = "https://t", preview_url = "https://p", frame_count = 300, duration_seconds = 12.5,
        });
        _fake.Routes["GET /stream-recordings"] = ctx => FakeOdyssey.Json(ctx, 200, new
        {
            recordings = new[] { new { stream_id = "st-1", width = 1280, height = 704, started_at = "2026-11-26T10:00:00Z", ended_at = "2026-11-26T10:00:12Z", duration_seconds = 12.5 } },
            total = 1, limit = 5, offset = 0,
        });
        await using var client = Client();

        var recording = await client.GetRecordingAsync("st-1").WaitAsync(Timeout);
        var page = await client.ListStreamRecordingsAsync(limit: 5).WaitAsync(Timeout);
        await client.ListStreamRecordingsAsync().WaitAsync(Timeout);

        Assert.Equal("https://v/mp4", recording.VideoUrl);
        Assert.Null(recording.EventsUrl);
        Assert.Equal(300, recording.FrameCount);
        Assert.Equal(12.5, recording.DurationSeconds);
        Assert.Equal(1280, Assert.Single(page.Recordings).Width);
        Assert.Equal(["?limit=5", ""], _fake.Requests.Where(r => r.Path == "/stream-recordings").Select(r => r.Query));
    }

    [Theory]
    [InlineData(404, typeof(OdysseyError), "Recording not found")]
    [InlineData(401, typeof(OdysseyAuthError), "Not authorized")]
    [InlineData(500, typeof(OdysseyError), "Failed to get recording: 500 Internal Server Error")]
    public async Task GetRecording_Refused_TypedErrorWithText(int status, Type type, string message)
    {
        _fake.Routes["GET /recordings/x"] = ctx => WriteRaw(ctx, status, "{}");
        await using var client = Client();
        var error = await Assert.ThrowsAnyAsync<OdysseyError>(() => client.GetRecordingAsync("x").WaitAsync(Timeout));
        Assert.IsType(type, error);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public async Task Simulate_Script_PostsTheDocumentedBody()
    {
        _fake.Routes["POST /simulation-jobs"] = ctx => FakeOdyssey.Json(ctx, 200, new { job_id = "j1", status = "pending", priority = 1, created_at = "now" });
        _fake.Routes["DELETE /simulation-jobs/j1"] = ctx => FakeOdyssey.Json(ctx, 200, new { job_id = "j1", status = "cancelled" });
        _fake.Routes["GET /simulation-jobs"] = ctx => FakeOdyssey.Json(ctx, 200, new { jobs = new[] { new { job_id = "j1", status = "pending", priority = 1 } }, total = 1, limit = 10, offset = 0 });
        await using var client = Client();

        var job = await client.SimulateAsync(new SimulationRequest
        {
            Script = [SimulationStep.Start(0, "a cat"), SimulationStep.Interact(2000, "it jumps"), SimulationStep.End(5000)],
            Portrait = false,
            BypassPromptExpansion = true,
        }).WaitAsync(Timeout);
        var list = await client.ListSimulationsAsync(active: true, limit: 10).WaitAsync(Timeout);
        var cancelled = await client.CancelSimulationAsync("j1").WaitAsync(Timeout);

        Assert.Equal("j1", job.JobId);
        Assert.Equal("cancelled", cancelled.Status);
        Assert.Single(list.Jobs);
        var body = JsonDocument.Parse(_fake.Requests.Single(r => r.Method == "POST" && r.Path == "/simulation-jobs").Body).RootElement;
        Assert.False(body.GetProperty("portrait").GetBoolean());
        Assert.True(body.GetProperty("output_video").GetBoolean());
        Assert.True(body.GetProperty("bypass_vlm_expansion").GetBoolean());
        var script = body.GetProperty("script");
        Assert.Equal("a cat", script[0].GetProperty("start").GetProperty("prompt").GetString());
        Assert.Equal(2000, script[1].GetProperty("timestamp_ms").GetInt32());
        Assert.Equal(JsonValueKind.Object, script[2].GetProperty("end").ValueKind);
        Assert.Equal("?active=true&limit=10", _fake.Requests.Single(r => r.Method == "GET" && r.Path == "/simulation-jobs").Query);
    }

    [Fact]
    public async Task ListSimulations_LimitOutOfRange_RejectedBeforeAnyRequest()
    {
        await using var client = Client();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ListSimulationsAsync(limit: 101));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ListSimulationsAsync(offset: -1));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SimulateAsync(new SimulationRequest()));
        Assert.Empty(_fake.Requests);
    }

    private static Task WriteRaw(Microsoft.AspNetCore.Http.HttpContext ctx, int status, string body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(ctx.Response, body);
    }
}
