using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Odyssey.Client.Api;

/// <summary>A session the broker assigned (§2 step 4).</summary>
internal sealed record SessionAssignment(string SessionId, string SignalingUrl, SessionCapabilities Capabilities);

/// <summary>An ICE server from <c>/config</c>, credentials kept (§10: the Python client dropped them).</summary>
internal sealed record IceServer(IReadOnlyList<string> Urls, string? Username, string? Credential);

/// <summary>
/// Odyssey's HTTP API (PROTOCOL.md §1–§2, §7): auth with a cached token, the region probe, the session
/// queue, session tokens, ICE configuration, recordings and simulation jobs. Every failure becomes a typed
/// <see cref="OdysseyError"/> whose message names the endpoint and status, never a secret.
/// </summary>
internal sealed class OdysseyApi
{
    /// <summary>§2 step 2: a token is reused until this long before it expires.</summary>
    public static readonly TimeSpan TokenRefreshMargin = TimeSpan.FromSeconds(60);

    /// <summary>§2 step 2: the Python client's lifetime when <c>expires_in</c> is absent.</summary>
    public const int DefaultTokenLifetimeSeconds = 3600;

    /// <summary>§2 step 5: a session token's lifetime when <c>expires_in</c> is absent.</summary>
    public const int DefaultSessionTokenLifetimeSeconds = 600;

    /// <summary>§2 step 3: the whole probe may delay the session request this long at most.</summary>
    public static readonly TimeSpan RegionProbeBudget = TimeSpan.FromSeconds(1);

    /// <summary>§2 step 3: each ping's own timeout.</summary>
    public static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(10);

    /// <summary>§2 step 3: the latency reported for a region whose ping failed or did not finish.</summary>
    public const int UnreachableLatencyMs = 9999;

    /// <summary>§2 step 4: the queue polls every second.</summary>
    public static readonly TimeSpan QueuePollInterval = TimeSpan.FromSeconds(1);

    /// <summary>§2 step 7a: used when <c>/config</c> fails.</summary>
    public static readonly IceServer FallbackIceServer = new(["stun:stun.l.google.com:19302"], null, null);

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly string _apiKey;
    private readonly TimeProvider _time;
    private readonly Secrets _secrets;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private string? _accessToken;
    private DateTimeOffset _accessTokenExpiry;
    private Dictionary<string, int>? _regionLatencies;

    public OdysseyApi(HttpClient http, string apiUrl, string apiKey, TimeProvider time, Secrets secrets, ILogger log)
    {
        _http = http;
        _base = new Uri(apiUrl.TrimEnd('/') + "/");
        _apiKey = apiKey;
        _time = time;
        _secrets = secrets;
        _log = log;
        secrets.Add(apiKey);
    }

    /// <summary>POST <c>/auth/token</c>, or the cached token while it has more than a minute left.</summary>
    public async Task<string> GetAccessTokenAsync(CancellationToken cancellationToken)
    {
        await _tokenGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_accessToken is not null && _time.GetUtcNow() < _accessTokenExpiry - TokenRefreshMargin)
            {
                return _accessToken;
            }

            if (string.IsNullOrWhiteSpace(_apiKey))
            {
                throw new OdysseyAuthError("API key is required: set ClientConfig.ApiKey or ODYSSEY_API_KEY");
            }

            using var response = await SendAsync(HttpMethod.Post, "auth/token", Body(w => w.WriteString("api_key", _apiKey)), null, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                var detail = await DetailAsync(response, cancellationToken).ConfigureAwait(false);
                throw status switch
                {
                    401 => new OdysseyAuthError("Invalid API key") { StatusCode = status },
                    403 => new OdysseyAuthError(detail ?? "API key access denied") { StatusCode = status },
                    422 => new OdysseyAuthError("Invalid API key format. API keys start with 'ody_'.") { StatusCode = status },
                    _ => new OdysseyConnectionError($"Authentication failed: {status} {response.ReasonPhrase}") { StatusCode = status },
                };
            }

            using var document = await ReadJsonAsync(response, "auth/token", cancellationToken).ConfigureAwait(false);
            var token = String(document.RootElement, "access_token")
                ?? throw new OdysseyConnectionError("Invalid auth response: missing access_token");
            _secrets.Add(token);
            var lifetime = Number(document.RootElement, "expires_in") ?? DefaultTokenLifetimeSeconds;
            _accessToken = token;
            _accessTokenExpiry = _time.GetUtcNow().AddSeconds(lifetime);
            return token;
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    /// <summary>
    /// §2 step 3: GET <c>/regions</c>, then every <c>ping_url</c> at once; after at most a second each region
    /// has its latency in ms, or 9999. Cached per client. Any failure gives null (the field is left out).
    /// </summary>
    public async Task<Dictionary<string, int>?> ProbeRegionsAsync(string accessToken, CancellationToken cancellationToken)
    {
        if (_regionLatencies is not null)
        {
            return _regionLatencies;
        }

        try
        {
            using var response = await SendAsync(HttpMethod.Get, "regions", null, accessToken, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var document = await ReadJsonAsync(response, "regions", cancellationToken).ConfigureAwait(false);
            if (!document.RootElement.TryGetProperty("regions", out var regions) || regions.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var ids = new List<string>();
            var pings = new List<Task<int>>();
            using var budget = new CancellationTokenSource(PingTimeout, _time);
            foreach (var region in regions.EnumerateArray())
            {
                if (String(region, "id") is { } id && String(region, "ping_url") is { } url && Uri.TryCreate(url, UriKind.Absolute, out var ping))
                {
                    ids.Add(id);
                    pings.Add(PingAsync(ping, budget.Token));
                }
            }

            var all = Task.WhenAll(pings);
            await Task.WhenAny(all, Task.Delay(RegionProbeBudget, _time, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            await budget.CancelAsync().ConfigureAwait(false);
            var latencies = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < ids.Count; i++)
            {
                latencies[ids[i]] = pings[i].IsCompletedSuccessfully ? pings[i].Result : UnreachableLatencyMs;
            }

            _log.Regions(string.Join(", ", latencies.Select(kv => $"{kv.Key}={kv.Value}")));
            _regionLatencies = latencies;
            return latencies;
        }
        catch (Exception ex) when (ex is OdysseyError or HttpRequestException or JsonException)
        {
            _log.Warn($"region probe failed, sending no latencies: {_secrets.Scrub(ex.Message)}");
            return null;
        }
    }

    /// <summary>
    /// §2 step 4: POST <c>/sessions/request</c>; a 503 waits in the queue (polling every second) up to
    /// <paramref name="queueTimeout"/>; a 429 becomes the typed usage error.
    /// </summary>
    public async Task<SessionAssignment> RequestSessionAsync(string accessToken, Task<Dictionary<string, int>?> regions, TimeSpan queueTimeout, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var latencies = await regions.ConfigureAwait(false);
        while (true)
        {
            var body = Body(w =>
            {
                if (latencies is { Count: > 0 })
                {
                    w.WriteStartObject("region_latencies");
                    foreach (var (id, ms) in latencies)
                    {
                        w.WriteNumber(id, ms);
                    }

                    w.WriteEndObject();
                }
            });
            using var response = await SendAsync(HttpMethod.Post, "sessions/request", body, accessToken, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                if (queueTimeout <= TimeSpan.Zero)
                {
                    throw new OdysseyConnectionError("No streamers available. Please try again later.") { StatusCode = status };
                }

                var elapsed = _time.GetElapsedTime(started);
                if (elapsed >= queueTimeout)
                {
                    throw new OdysseyConnectionError($"Timed out waiting for a streamer ({queueTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s)") { StatusCode = status };
                }

                _log.Queued(elapsed.TotalSeconds, queueTimeout.TotalSeconds);
                await Task.Delay(QueuePollInterval, _time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (status == 429)
            {
                throw await UsageErrorAsync(response, cancellationToken).ConfigureAwait(false);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new OdysseyConnectionError($"API request failed: {status} {response.ReasonPhrase}") { StatusCode = status };
            }

            using var document = await ReadJsonAsync(response, "sessions/request", cancellationToken).ConfigureAwait(false);
            var root = document.RootElement;
            var id = String(root, "session_id");
            var url = String(root, "signalling_url");
            if (id is null || url is null)
            {
                throw new OdysseyConnectionError("Invalid API response: missing session_id or signalling_url");
            }

            var i2v = root.TryGetProperty("capabilities", out var caps) && caps.ValueKind == JsonValueKind.Object
                && caps.TryGetProperty("image_to_video", out var flag) && flag.ValueKind == JsonValueKind.True;
            _log.SessionAssigned(id, url);
            return new SessionAssignment(id, url, new SessionCapabilities { ImageToVideo = i2v });
        }
    }

    /// <summary>§2 step 5: POST <c>/sessions/token</c> → the session JWT and its lifetime.</summary>
    public async Task<(string Token, int ExpiresIn)> GetSessionTokenAsync(string accessToken, string sessionId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, "sessions/token", Body(w => w.WriteString("session_id", sessionId)), accessToken, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (status == 404)
        {
            throw new OdysseyConnectionError("Session not found or not authorized") { StatusCode = status };
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new OdysseyConnectionError($"Failed to get session token: {status} {response.ReasonPhrase}") { StatusCode = status };
        }

        using var document = await ReadJsonAsync(response, "sessions/token", cancellationToken).ConfigureAwait(false);
        var token = String(document.RootElement, "session_token") ?? throw new OdysseyConnectionError("Invalid session token response");
        _secrets.Add(token);
        return (token, Number(document.RootElement, "expires_in") ?? DefaultSessionTokenLifetimeSeconds);
    }

    /// <summary>§2 step 7a: GET <c>/config</c> on the signalling server's HTTP origin; any failure gives the Google STUN fallback.</summary>
    public Task<IReadOnlyList<IceServer>> GetIceServersAsync(string signalingUrl, CancellationToken cancellationToken) =>
        GetIceServersAtAsync(SignalingUrls.HttpBase(signalingUrl) + "/config", cancellationToken);

    /// <summary>GET <paramref name="url"/> (a <c>/config</c>); any failure gives the Google STUN fallback (§2 step 7a, §7 spectator).</summary>
    public async Task<IReadOnlyList<IceServer>> GetIceServersAtAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            _log.Http("GET", "/config", (int)response.StatusCode);
            if (!response.IsSuccessStatusCode)
            {
                return [FallbackIceServer];
            }

            using var document = await ReadJsonAsync(response, "config", cancellationToken).ConfigureAwait(false);
            if (!document.RootElement.TryGetProperty("iceServers", out var servers) || servers.ValueKind != JsonValueKind.Array)
            {
                return [FallbackIceServer];
            }

            var list = new List<IceServer>();
            foreach (var server in servers.EnumerateArray())
            {
                if (server.ValueKind != JsonValueKind.Object || !server.TryGetProperty("urls", out var urls))
                {
                    continue;
                }

                var names = new List<string>();
                if (urls.ValueKind == JsonValueKind.String)
                {
                    names.Add(urls.GetString()!);
                }
                else if (urls.ValueKind == JsonValueKind.Array)
                {
                    foreach (var u in urls.EnumerateArray())
                    {
                        if (u.ValueKind == JsonValueKind.String)
                        {
                            names.Add(u.GetString()!);
                        }
                    }
                }

                var credential = String(server, "credential");
                _secrets.Add(credential);
                list.Add(new IceServer(names, String(server, "username"), credential));
            }

            return list.Count == 0 ? [FallbackIceServer] : list;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or OdysseyError or UriFormatException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _log.Warn($"ICE configuration unavailable, using the fallback STUN server: {_secrets.Scrub(ex.Message)}");
            return [FallbackIceServer];
        }
    }

    /// <summary>GET <c>/recordings/{stream_id}</c> (the id inserted as given, §7).</summary>
    public async Task<Recording> GetRecordingAsync(string streamId, CancellationToken cancellationToken)
    {
        var token = await GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        using var response = await SendAsync(HttpMethod.Get, "recordings/" + streamId, null, token, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (!response.IsSuccessStatusCode)
        {
            throw status switch
            {
                404 => new OdysseyError("Recording not found"),
                401 => new OdysseyAuthError("Not authorized") { StatusCode = status },
                _ => new OdysseyError($"Failed to get recording: {status} {response.ReasonPhrase}"),
            };
        }

        return await DeserializeAsync<Recording>(response, "recordings", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GET <c>/stream-recordings</c>; limit and offset are sent only when given.</summary>
    public async Task<StreamRecordingsList> ListStreamRecordingsAsync(int? limit, int? offset, CancellationToken cancellationToken)
    {
        var token = await GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        var path = "stream-recordings" + Query(("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("offset", offset?.ToString(CultureInfo.InvariantCulture)));
        using var response = await SendAsync(HttpMethod.Get, path, null, token, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (!response.IsSuccessStatusCode)
        {
            throw status == 401
                ? new OdysseyAuthError("Not authorized") { StatusCode = status }
                : new OdysseyError($"Failed to list recordings: {status} {response.ReasonPhrase}");
        }

        return await DeserializeAsync<StreamRecordingsList>(response, "stream-recordings", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST <c>/simulation-jobs</c>.</summary>
    public async Task<SimulationJob> SimulateAsync(SimulationRequest request, CancellationToken cancellationToken)
    {
        request.Validate();
        var token = await GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        var body = Body(w =>
        {
            w.WriteBoolean("portrait", request.Portrait);
            w.WriteBoolean("output_video", true);
            if (request.BypassPromptExpansion is { } bypass)
            {
                w.WriteBoolean("bypass_vlm_expansion", bypass);
            }

            if (request.Script is not null)
            {
                w.WritePropertyName("script");
                WriteScript(w, request.Script);
            }
            else if (request.Scripts is not null)
            {
                w.WriteStartArray("scripts");
                foreach (var script in request.Scripts)
                {
                    WriteScript(w, script);
                }

                w.WriteEndArray();
            }
            else
            {
                w.WriteString("script_url", request.ScriptUrl);
            }
        });
        using var response = await SendAsync(HttpMethod.Post, "simulation-jobs", body, token, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, "create the simulation job", cancellationToken).ConfigureAwait(false);
        return await DeserializeAsync<SimulationJob>(response, "simulation-jobs", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GET <c>/simulation-jobs/{id}</c>.</summary>
    public async Task<SimulationJob> GetSimulationAsync(string jobId, CancellationToken cancellationToken)
    {
        var token = await GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        using var response = await SendAsync(HttpMethod.Get, "simulation-jobs/" + Uri.EscapeDataString(jobId), null, token, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, $"get simulation job {jobId}", cancellationToken).ConfigureAwait(false);
        return await DeserializeAsync<SimulationJob>(response, "simulation-jobs", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GET <c>/simulation-jobs</c> with the client-side checks of §7 (1 ≤ limit ≤ 100, offset ≥ 0).</summary>
    public async Task<SimulationJobList> ListSimulationsAsync(string? status, bool? active, int? limit, int? offset, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "ListSimulationsAsync: limit must be between 1 and 100");
        }

        if (offset is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "ListSimulationsAsync: offset must be 0 or more");
        }

        var token = await GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        var path = "simulation-jobs" + Query(
            ("status", status),
            ("active", active is true ? "true" : null),
            ("limit", limit?.ToString(CultureInfo.InvariantCulture)),
            ("offset", offset?.ToString(CultureInfo.InvariantCulture)));
        using var response = await SendAsync(HttpMethod.Get, path, null, token, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, "list simulation jobs", cancellationToken).ConfigureAwait(false);
        return await DeserializeAsync<SimulationJobList>(response, "simulation-jobs", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>DELETE <c>/simulation-jobs/{id}</c>; a 400 reports the server's <c>detail</c>.</summary>
    public async Task<SimulationJob> CancelSimulationAsync(string jobId, CancellationToken cancellationToken)
    {
        var token = await GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        using var response = await SendAsync(HttpMethod.Delete, "simulation-jobs/" + Uri.EscapeDataString(jobId), null, token, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, $"cancel simulation job {jobId}", cancellationToken).ConfigureAwait(false);
        return await DeserializeAsync<SimulationJob>(response, "simulation-jobs", cancellationToken).ConfigureAwait(false);
    }

    private static void WriteScript(Utf8JsonWriter w, IReadOnlyList<SimulationStep> script)
    {
        w.WriteStartArray();
        foreach (var step in script)
        {
            w.WriteStartObject();
            w.WriteNumber("timestamp_ms", step.TimestampMs);
            w.WriteStartObject(step.Kind);
            if (step.Prompt is not null)
            {
                w.WriteString("prompt", step.Prompt);
            }

            if (step.ImageDataUrl is not null)
            {
                w.WriteString("image", step.ImageDataUrl);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private async Task ThrowIfFailedAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        var detail = await DetailAsync(response, cancellationToken).ConfigureAwait(false);
        throw status == 401
            ? new OdysseyAuthError("Not authorized") { StatusCode = status }
            : new OdysseyError($"Failed to {what}: {status} {detail ?? response.ReasonPhrase}");
    }

    private async Task<OdysseyError> UsageErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        const string Fallback = "Request limit exceeded";
        try
        {
            using var document = await ReadJsonAsync(response, "sessions/request", cancellationToken).ConfigureAwait(false);
            var root = document.RootElement;
            var detail = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("detail", out var d) && d.ValueKind != JsonValueKind.Null ? d : root;
            if (detail.ValueKind == JsonValueKind.String)
            {
                return new OdysseyConnectionError(_secrets.Scrub(detail.GetString())) { StatusCode = 429 };
            }

            if (detail.ValueKind == JsonValueKind.Object && (String(detail, "error") ?? String(detail, "code")) is { } code)
            {
                var details = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                if (detail.TryGetProperty("details", out var extra) && extra.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in extra.EnumerateObject())
                    {
                        details[property.Name] = property.Value.Clone();
                    }
                }

                return ErrorMapping.Usage(code, String(detail, "message") ?? Fallback, String(detail, "action"), String(detail, "action_url"), details);
            }
        }
        catch (OdysseyError)
        {
            // A 429 without a readable body is still a limit.
        }

        return new OdysseyConnectionError(Fallback) { StatusCode = 429 };
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, string? bearer, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_base, path)) { Content = content };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        try
        {
            var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            _log.Http(method.Method, "/" + path.Split('?')[0], (int)response.StatusCode);
            return response;
        }
        catch (HttpRequestException ex)
        {
            throw new OdysseyConnectionError($"Odyssey API {method} /{path.Split('?')[0]} failed: {_secrets.Scrub(ex.Message)}");
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OdysseyConnectionError($"Odyssey API {method} /{path.Split('?')[0]} timed out", ex);
        }
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonDocument.ParseAsync(stream, default, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException ex)
        {
            throw new OdysseyConnectionError($"Odyssey API /{path}: the response is not JSON (line {ex.LineNumber}, byte {ex.BytePositionInLine})");
        }
    }

    private static async Task<T> DeserializeAsync<T>(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        try
        {
            var value = await response.Content.ReadFromJsonAsync<T>(cancellationToken).ConfigureAwait(false);
            return value ?? throw new OdysseyError($"Odyssey API /{path}: the response is null");
        }
        catch (JsonException ex)
        {
            throw new OdysseyError($"Odyssey API /{path}: unexpected response at {ex.Path} (line {ex.LineNumber}): {ex.Message}");
        }
    }

    private async Task<string?> DetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await ReadJsonAsync(response, "", cancellationToken).ConfigureAwait(false);
            return document.RootElement.ValueKind == JsonValueKind.Object && String(document.RootElement, "detail") is { } detail ? _secrets.Scrub(detail) : null;
        }
        catch (OdysseyError)
        {
            return null;
        }
    }

    private static HttpContent Body(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = Json;
        return content;
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var builder = new StringBuilder();
        foreach (var (name, value) in parameters)
        {
            if (value is null)
            {
                continue;
            }

            builder.Append(builder.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }

        return builder.ToString();
    }

    private async Task<int> PingAsync(Uri url, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        try
        {
            using var response = await _http.GetAsync(url, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? (int)Math.Round(_time.GetElapsedTime(started).TotalMilliseconds) : UnreachableLatencyMs;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return UnreachableLatencyMs;
        }
    }

    internal static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static int? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? (int)value.GetDouble() : null;
}
