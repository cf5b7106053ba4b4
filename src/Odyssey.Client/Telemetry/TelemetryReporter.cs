using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Odyssey.Client.Telemetry;

/// <summary>
/// PROTOCOL.md §7 "Telemetry", sent only when <see cref="ClientConfig.EnableTelemetry"/> is set: each event is
/// POSTed to <c>&lt;api&gt;/telemetry</c> as <c>{"events":[…]}</c> with the Python client's field names,
/// without an auth header and without waiting (fire-and-forget). Of the API key only its first 8 characters
/// (<c>api_key_prefix</c>) leave; a failed send is logged at Debug and forgotten.
/// </summary>
internal sealed class TelemetryReporter(HttpClient http, string apiUrl, string apiKey, ILogger log)
{
    /// <summary>§7: how much of the API key identifies the account in telemetry.</summary>
    public const int ApiKeyPrefixLength = 8;

    /// <summary>
    /// <c>sdk_platform</c>: the Python client says "python", the JS one sends nothing; we name our runtime
    /// rather than pretend to be either.
    /// </summary>
    public const string SdkPlatform = "dotnet";

    /// <summary>A telemetry POST gives up after this long: it must never hold a connect or a dispose for long.</summary>
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(5);

    private static readonly string SdkVersion =
        typeof(TelemetryReporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static readonly string PlatformInfo =
        $"{RuntimeInformation.OSDescription}; {RuntimeInformation.FrameworkDescription}; {RuntimeInformation.ProcessArchitecture}";

    private readonly Lock _gate = new();
    private readonly List<Task> _pending = [];
    private readonly Uri _endpoint = new(apiUrl.TrimEnd('/') + "/telemetry");
    private readonly string? _keyPrefix = apiKey.Length >= ApiKeyPrefixLength ? apiKey[..ApiKeyPrefixLength] : null;

    /// <summary><c>session_connecting</c>, <c>session_connected</c> (with <c>connect_duration_ms</c>) or <c>session_disconnected</c>.</summary>
    public void Event(string name, string? sessionId, long? connectDurationMs = null)
    {
        var body = Common(sessionId);
        body["event"] = name;
        if (connectDurationMs is { } ms)
        {
            body["connect_duration_ms"] = ms;
        }

        Send(body);
    }

    /// <summary>An error the client reported through <c>OnError</c>, typed as §7 lists (auth/connection/stream/usage/unknown).</summary>
    public void Error(OdysseyError error, string? sessionId, ConnectionStatus status)
    {
        var body = Common(sessionId);
        body["error_type"] = error switch
        {
            OdysseyAuthError => "auth",
            OdysseyConnectionError => "connection",
            OdysseyStreamError => "stream",
            OdysseyUsageError => "usage",
            _ => "unknown",
        };
        body["error_message"] = error.Message;
        if (error is OdysseyUsageError { Code.Length: > 0 } usage)
        {
            body["error_code"] = usage.Code;
        }

        body["connection_status"] = OdysseyClient.StatusText(status);
        Send(body);
    }

    /// <summary>Waits (at most <paramref name="limit"/>) for the sends in flight, so the last events of a disposed client still leave.</summary>
    public async Task FlushAsync(TimeSpan limit)
    {
        Task[] pending;
        lock (_gate)
        {
            pending = [.. _pending];
        }

        try
        {
            await Task.WhenAll(pending).WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            log.Detail("telemetry: some events were still being sent at dispose; dropped");
        }
    }

    private JsonObject Common(string? sessionId)
    {
        var body = new JsonObject
        {
            ["sdk_version"] = SdkVersion,
            ["sdk_platform"] = SdkPlatform,
            ["platform_info"] = PlatformInfo,
        };
        if (sessionId is not null)
        {
            body["session_id"] = sessionId;
        }

        if (_keyPrefix is not null)
        {
            body["api_key_prefix"] = _keyPrefix;
        }

        return body;
    }

    private void Send(JsonObject body)
    {
        var json = new JsonObject { ["events"] = new JsonArray(body) }.ToJsonString();
        var task = Task.Run(() => PostAsync(json));
        lock (_gate)
        {
            _pending.RemoveAll(static t => t.IsCompleted);
            _pending.Add(task);
        }
    }

    private async Task PostAsync(string json)
    {
        try
        {
            using var timeout = new CancellationTokenSource(SendTimeout);
            using var content = new StringContent(json, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(_endpoint, content, timeout.Token).ConfigureAwait(false);
            log.Http("POST", "/telemetry", (int)response.StatusCode);
        }
#pragma warning disable CA1031 // fire-and-forget: telemetry must never surface an error to the application
        catch (Exception ex)
#pragma warning restore CA1031
        {
            log.Detail($"telemetry not sent ({ex.GetType().Name})");
        }
    }
}
