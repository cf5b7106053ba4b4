using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Odyssey.Emulator.Tests.Api;

/// <summary>PROTOCOL.md §1–§9 endpoint by endpoint: status codes and bodies, happy and error paths, over HTTP on loopback.</summary>
public sealed class ApiConformanceTests : IAsyncLifetime
{
    private EmulatorServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await EmulatorServer.StartAsync(new EmulatorOptions { Width = 64, Height = 48, StreamerCount = 2, DeniedApiKeys = ["ody_denied_key_123"] });
        _http = new HttpClient { BaseAddress = _server.ApiUrl, Timeout = TestClient.Timeout };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task AuthToken_ValidKey_ReturnsAccessTokenAndExpiry()
    {
        var (status, body) = await PostAsync("/auth/token", new JsonObject { ["api_key"] = _server.ApiKey });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(string.IsNullOrEmpty((string?)body["access_token"]));
        Assert.Equal(3600, (int)body["expires_in"]!);
    }

    [Theory]
    [InlineData("ody_unknown_key_999", HttpStatusCode.Unauthorized, "Invalid API key")]
    [InlineData("ody_denied_key_123", HttpStatusCode.Forbidden, "API key access denied")]
    [InlineData("not-a-key", HttpStatusCode.UnprocessableEntity, "Invalid API key format")]
    public async Task AuthToken_BadKey_AnswersTheProtocolsStatusAndDetail(string key, HttpStatusCode expected, string detail)
    {
        var (status, body) = await PostAsync("/auth/token", new JsonObject { ["api_key"] = key });
        Assert.Equal(expected, status);
        Assert.StartsWith(detail, (string?)body["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Telemetry_EventsWithoutAuth_AcceptedAndKeptInOrder()
    {
        var events = new JsonArray(new JsonObject { ["event"] = "session_connecting", ["sdk_platform"] = "python" }, new JsonObject { ["error_type"] = "auth", ["error_message"] = "Invalid API key" });
        var (status, body) = await PostAsync("/telemetry", new JsonObject { ["events"] = events });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, (int)body["received"]!);
        Assert.Equal(["session_connecting", null], _server.TelemetryEvents.Select(e => (string?)e["event"]));
        Assert.Equal("auth", (string?)_server.TelemetryEvents[1]["error_type"]);
    }

    [Theory]
    [InlineData("""{}""", "missing")]
    [InlineData("""{"events":{}}""", "list_type")]
    [InlineData("""{"events":[1]}""", "model_type")]
    public async Task Telemetry_BadBody_Answers422(string json, string type)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await _http.PostAsync("/telemetry", content);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(type, (string?)body["detail"]![0]!["type"]);
        Assert.Empty(_server.TelemetryEvents);
    }

    [Fact]
    public async Task AuthToken_MissingField_Answers422WithFastApiDetail()
    {
        var (status, body) = await PostAsync("/auth/token", new JsonObject());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        var problem = body["detail"]![0]!;
        Assert.Equal("missing", (string?)problem["type"]);
        Assert.Equal("""["body","api_key"]""", problem["loc"]!.ToJsonString());
    }

    [Fact]
    public async Task AuthToken_NotJson_Answers422()
    {
        using var content = new StringContent("{not json", Encoding.UTF8, "application/json");
        var response = await _http.PostAsync("/auth/token", content);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("json_invalid", (string?)(await ReadAsync(response))["detail"]![0]!["type"]);
    }

    [Theory]
    [InlineData("GET", "/regions")]
    [InlineData("POST", "/sessions/request")]
    [InlineData("POST", "/sessions/token")]
    [InlineData("GET", "/recordings/stream_x")]
    [InlineData("GET", "/stream-recordings")]
    [InlineData("POST", "/simulation-jobs")]
    [InlineData("GET", "/simulation-jobs")]
    [InlineData("GET", "/simulation-jobs/sim_x")]
    [InlineData("DELETE", "/simulation-jobs/sim_x")]
    public async Task BearerEndpoints_NoOrBadToken_Answer401NotAuthorized(string method, string path)
    {
        foreach (var token in new[] { null, "wrong" })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "GET" || method == "DELETE" ? null : JsonContent.Create(new JsonObject()) };
            if (token is not null)
            {
                request.Headers.Authorization = new("Bearer", token);
            }

            var response = await _http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Not authorized", (string?)(await ReadAsync(response))["detail"]);
        }
    }

    [Fact]
    public async Task Regions_Authorised_ListsRegionsWhosePingAnswersOk()
    {
        await AuthenticateAsync();
        var regions = (await _http.GetFromJsonAsync<JsonObject>("/regions"))!["regions"]!.AsArray();
        var region = Assert.Single(regions)!;
        Assert.False(string.IsNullOrEmpty((string?)region["id"]));
        var ping = await _http.GetAsync((string)region["ping_url"]!);
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
    }

    [Fact]
    public async Task SessionsRequest_StreamerFree_ReturnsSessionSignallingUrlAndCapabilities()
    {
        await AuthenticateAsync();
        var (status, body) = await PostAsync("/sessions/request", new JsonObject { ["region_latencies"] = new JsonObject { ["local-emulator"] = 3 } });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("sess_", (string?)body["session_id"], StringComparison.Ordinal);
        Assert.Equal("ws" + _server.ApiUrl.ToString().TrimEnd('/')["http".Length..], (string?)body["signalling_url"]);
        Assert.Equal(JsonValueKind(true), body["capabilities"]!["image_to_video"]!.ToJsonString());
        Assert.NotNull(body["streamer_id"]);
    }

    [Fact]
    public async Task SessionsRequest_EmptyBody_IsAcceptedAsEmptyObject()
    {
        await AuthenticateAsync();
        var response = await _http.PostAsync("/sessions/request", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task SessionsRequest_AllStreamersBusy_Answers503UntilOneIsFree()
    {
        await AuthenticateAsync();
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("/sessions/request", new JsonObject())).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("/sessions/request", new JsonObject())).Status);
        var (status, body) = await PostAsync("/sessions/request", new JsonObject());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("No streamers available", (string?)body["detail"]);
    }

    [Fact]
    public async Task SessionsRequest_RegionLatenciesNotAnObject_Answers422()
    {
        await AuthenticateAsync();
        var (status, body) = await PostAsync("/sessions/request", new JsonObject { ["region_latencies"] = 5 });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("""["body","region_latencies"]""", body["detail"]![0]!["loc"]!.ToJsonString());
    }

    [Fact]
    public async Task SessionsToken_OwnSession_ReturnsHs256JwtWithSessionIdClaim()
    {
        await AuthenticateAsync();
        var sessionId = (string)(await PostAsync("/sessions/request", new JsonObject())).Body["session_id"]!;
        var (status, body) = await PostAsync("/sessions/token", new JsonObject { ["session_id"] = sessionId });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(600, (int)body["expires_in"]!);
        var parts = ((string)body["session_token"]!).Split('.');
        Assert.Equal(3, parts.Length);
        Assert.Equal("HS256", (string?)JsonNode.Parse(Base64UrlDecode(parts[0]))!["alg"]);
        Assert.Equal(sessionId, (string?)JsonNode.Parse(Base64UrlDecode(parts[1]))!["session_id"]);
    }

    [Fact]
    public async Task SessionsToken_UnknownSession_Answers404()
    {
        await AuthenticateAsync();
        var (status, body) = await PostAsync("/sessions/token", new JsonObject { ["session_id"] = "sess_nope" });
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("Session not found", (string?)body["detail"]);
    }

    [Fact]
    public async Task SessionsToken_MissingSessionId_Answers422()
    {
        await AuthenticateAsync();
        var (status, body) = await PostAsync("/sessions/token", new JsonObject());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("""["body","session_id"]""", body["detail"]![0]!["loc"]!.ToJsonString());
    }

    [Fact]
    public async Task Config_NoAuth_ReturnsIceServersList()
    {
        var body = (await _http.GetFromJsonAsync<JsonObject>("/config"))!;
        Assert.IsType<JsonArray>(body["iceServers"]);
    }

    [Theory]
    [InlineData("garbage", "malformed")]
    [InlineData("", "missing")]
    public async Task Signalling_BadToken_RefusesTheUpgradeWith403(string token, string _)
    {
        await AuthenticateAsync();
        var sessionId = (string)(await PostAsync("/sessions/request", new JsonObject())).Body["session_id"]!;
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var url = new Uri($"ws{_server.ApiUrl.ToString()["http".Length..]}client/{sessionId}?token={token}");
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
    }

    [Fact]
    public async Task Signalling_TokenOfAnotherSession_RefusesTheUpgradeWith403()
    {
        await AuthenticateAsync();
        var first = (string)(await PostAsync("/sessions/request", new JsonObject())).Body["session_id"]!;
        var second = (string)(await PostAsync("/sessions/request", new JsonObject())).Body["session_id"]!;
        var token = (string)(await PostAsync("/sessions/token", new JsonObject { ["session_id"] = first })).Body["session_token"]!;
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var url = new Uri($"ws{_server.ApiUrl.ToString()["http".Length..]}client/{second}?token={Uri.EscapeDataString(token)}");
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
    }

    [Fact]
    public async Task Recording_Unknown_Answers404RecordingNotFound()
    {
        await AuthenticateAsync();
        var response = await _http.GetAsync("/recordings/stream_unknown");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Recording not found", (string?)(await ReadAsync(response))["detail"]);
    }

    [Fact]
    public async Task StreamRecordings_None_ReturnsEmptyPageWithPaging()
    {
        await AuthenticateAsync();
        var body = (await _http.GetFromJsonAsync<JsonObject>("/stream-recordings?limit=5&offset=2"))!;
        Assert.Empty(body["recordings"]!.AsArray());
        Assert.Equal(0, (int)body["total"]!);
        Assert.Equal(5, (int)body["limit"]!);
        Assert.Equal(2, (int)body["offset"]!);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("offset=-1", "offset")]
    public async Task StreamRecordings_BadPaging_Answers422NamingTheParameter(string query, string parameter)
    {
        await AuthenticateAsync();
        var response = await _http.GetAsync("/stream-recordings?" + query);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal($"""["query","{parameter}"]""", (await ReadAsync(response))["detail"]![0]!["loc"]!.ToJsonString());
    }

    [Fact]
    public async Task Recording_Finished_ThumbnailJpegAndHalfSizePreviewMp4Served()
    {
        await AuthenticateAsync();
        var script = new JsonArray(
            new JsonObject { ["timestamp_ms"] = 0, ["start"] = new JsonObject { ["prompt"] = "a red fox" } },
            new JsonObject { ["timestamp_ms"] = 1000, ["end"] = new JsonObject() });
        var (_, created) = await PostAsync("/simulation-jobs", new JsonObject { ["script"] = script, ["portrait"] = false, ["output_video"] = true });
        var job = await WaitForJobAsync((string)created["job_id"]!, "completed");
        var streamId = (string)job["streams"]![0]!["stream_id"]!;

        // The derivatives are made after the stream ends: wait (bounded) until the recording names them.
        JsonObject recording;
        using (var cancel = new CancellationTokenSource(TestClient.Timeout))
        {
            while (true)
            {
                recording = (await _http.GetFromJsonAsync<JsonObject>($"/recordings/{streamId}", cancel.Token))!;
                if (recording["thumbnail_url"] is not null && recording["preview_url"] is not null)
                {
                    break;
                }

                await Task.Delay(50, cancel.Token);
            }
        }

        var thumbnailResponse = await _http.GetAsync((string)recording["thumbnail_url"]!);
        Assert.Equal("image/jpeg", thumbnailResponse.Content.Headers.ContentType?.MediaType);
        var thumbnail = await thumbnailResponse.Content.ReadAsByteArrayAsync();
        var picture = Odyssey.Media.FFmpeg.StillImage.Decode(thumbnail, new Odyssey.Media.VideoFramePool());
        Assert.Equal((64, 48), (picture.Width, picture.Height));
        picture.Release();

        var preview = await _http.GetByteArrayAsync((string)recording["preview_url"]!);
        var path = Path.Combine(Path.GetTempPath(), $"preview-{Guid.NewGuid():N}.mp4");
        await File.WriteAllBytesAsync(path, preview);
        try
        {
            var packets = new Odyssey.Media.EncodedPacketPool();
            using (var reader = new Odyssey.Media.Containers.MediaFileReader(path, packets))
            {
                Assert.Equal((Odyssey.Media.VideoCodec.H264, 32, 24), (reader.Codec, reader.Width, reader.Height));
                var count = 0;
                while (reader.TryRead(out var packet))
                {
                    count++;
                    packet.Release();
                }

                Assert.Equal(30, count); // the whole 1 s stream: shorter than the preview length
            }

            Assert.Equal(0, packets.Outstanding);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task SimulationJob_Script_RunsToCompletedWithARecordingServedOverHttp()
    {
        await AuthenticateAsync();
        var script = new JsonArray(
            new JsonObject { ["timestamp_ms"] = 0, ["start"] = new JsonObject { ["prompt"] = "a red fox" } },
            new JsonObject { ["timestamp_ms"] = 500, ["interact"] = new JsonObject { ["prompt"] = "a blue whale" } },
            new JsonObject { ["timestamp_ms"] = 1000, ["end"] = new JsonObject() });
        var (status, created) = await PostAsync("/simulation-jobs", new JsonObject { ["script"] = script, ["portrait"] = false, ["output_video"] = true });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("pending", (string?)created["status"]);
        var jobId = (string)created["job_id"]!;

        var job = await WaitForJobAsync(jobId, "completed");
        Assert.NotNull((string?)job["started_at"]);
        Assert.NotNull((string?)job["completed_at"]);
        var stream = Assert.Single(job["streams"]!.AsArray())!;
        Assert.Equal(0, (int)stream["script_index"]!);
        Assert.Equal(30, (long)stream["frame_count"]!);
        Assert.Equal(1.0, (double)stream["duration_seconds"]!);
        var video = await _http.GetByteArrayAsync((string)stream["video_url"]!);
        Assert.Equal("ftyp"u8.ToArray(), video[4..8]);
        var events = (await _http.GetStringAsync((string)stream["events_url"]!)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["start", "interact", "end"], events.Select(e => (string)JsonNode.Parse(e)!["type"]!));

        var recording = await _http.GetFromJsonAsync<JsonObject>($"/recordings/{stream["stream_id"]}");
        Assert.Equal((string?)stream["video_url"], (string?)recording!["video_url"]);
        var listed = (await _http.GetFromJsonAsync<JsonObject>("/stream-recordings"))!;
        Assert.Equal(1, (int)listed["total"]!);
        Assert.Equal(64, (int)listed["recordings"]![0]!["width"]!);

        var completed = (await _http.GetFromJsonAsync<JsonObject>("/simulation-jobs?status=completed"))!;
        Assert.Equal(jobId, (string?)completed["jobs"]![0]!["job_id"]);
        var active = (await _http.GetFromJsonAsync<JsonObject>("/simulation-jobs?active=true"))!;
        Assert.Equal(0, (int)active["total"]!);

        var cancel = await _http.DeleteAsync($"/simulation-jobs/{jobId}");
        Assert.Equal(HttpStatusCode.BadRequest, cancel.StatusCode);
        Assert.Contains("completed", (string?)(await ReadAsync(cancel))["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimulationJob_ScriptUrl_FailsWithAnErrorMessage()
    {
        await AuthenticateAsync();
        var jobId = (string)(await PostAsync("/simulation-jobs", new JsonObject { ["script_url"] = "https://example.invalid/script.json" })).Body["job_id"]!;
        var job = await WaitForJobAsync(jobId, "failed");
        Assert.Contains("script_url", (string?)job["error_message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimulationJob_LongScript_CancelledByDelete()
    {
        await AuthenticateAsync();
        var script = new JsonArray(
            new JsonObject { ["timestamp_ms"] = 0, ["start"] = new JsonObject { ["prompt"] = "a long one" } },
            new JsonObject { ["timestamp_ms"] = 140_000, ["end"] = new JsonObject() });
        var jobId = (string)(await PostAsync("/simulation-jobs", new JsonObject { ["script"] = script })).Body["job_id"]!;
        var response = await _http.DeleteAsync($"/simulation-jobs/{jobId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadAsync(response);
        Assert.Equal(jobId, (string?)body["job_id"]);
        Assert.Equal("cancelled", (string?)body["status"]);
        Assert.Equal("cancelled", (string?)(await _http.GetFromJsonAsync<JsonObject>($"/simulation-jobs/{jobId}"))!["status"]);
    }

    [Theory]
    [InlineData("""{"portrait": true}""", "body")]
    [InlineData("""{"script": [], "script_url": "x"}""", "body")]
    [InlineData("""{"script": [{"timestamp_ms": 0, "interact": {"prompt": "x"}}]}""", "body/script/0")]
    [InlineData("""{"script": [{"timestamp_ms": -1, "start": {"prompt": "x"}}]}""", "body/script/0/timestamp_ms")]
    [InlineData("""{"scripts": [[{"timestamp_ms": 0, "start": {}}]]}""", "body/scripts/0/0/start/prompt")]
    [InlineData("""{"script": [{"timestamp_ms": 0, "start": {"prompt": "x"}, "end": {}}]}""", "body/script/0")]
    public async Task SimulationJob_InvalidBody_Answers422AtThePlace(string json, string where)
    {
        await AuthenticateAsync();
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await _http.PostAsync("/simulation-jobs", content);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var locations = (await ReadAsync(response))["detail"]!.AsArray().Select(p => string.Join('/', p!["loc"]!.AsArray().Select(n => n!.ToString())));
        Assert.Contains(where, locations);
    }

    [Fact]
    public async Task SimulationJob_Unknown_Answers404ForGetAndDelete()
    {
        await AuthenticateAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/simulation-jobs/sim_nope")).StatusCode);
        var response = await _http.DeleteAsync("/simulation-jobs/sim_nope");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Simulation job not found", (string?)(await ReadAsync(response))["detail"]);
    }

    [Theory]
    [InlineData("status=unknown")]
    [InlineData("active=maybe")]
    [InlineData("limit=0")]
    public async Task SimulationJobList_BadQuery_Answers422(string query)
    {
        await AuthenticateAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await _http.GetAsync("/simulation-jobs?" + query)).StatusCode);
    }

    private async Task<JsonObject> WaitForJobAsync(string jobId, string status)
    {
        using var cancel = new CancellationTokenSource(TestClient.Timeout);
        while (true)
        {
            var job = (await _http.GetFromJsonAsync<JsonObject>($"/simulation-jobs/{jobId}", cancel.Token))!;
            if ((string?)job["status"] == status)
            {
                return job;
            }

            Assert.Contains((string?)job["status"], new[] { "pending", "dispatched", "processing" });
            await Task.Delay(50, cancel.Token);
        }
    }

    private async Task AuthenticateAsync()
    {
        var (_, body) = await PostAsync("/auth/token", new JsonObject { ["api_key"] = _server.ApiKey });
        _http.DefaultRequestHeaders.Authorization = new("Bearer", (string)body["access_token"]!);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(string path, JsonObject body)
    {
        var response = await _http.PostAsJsonAsync(path, body);
        return (response.StatusCode, await ReadAsync(response));
    }

    private static async Task<JsonObject> ReadAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static string JsonValueKind(bool value) => value ? "true" : "false";

    private static byte[] Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
    }
}
