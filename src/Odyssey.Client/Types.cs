using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Odyssey.Client;

/// <summary>The client's connection status (§6); <see cref="Reconnecting"/> exists for parity and is never set.</summary>
public enum ConnectionStatus
{
    /// <summary>Not connected yet, or after <see cref="OdysseyClient.DisconnectAsync"/>.</summary>
    Disconnected,

    /// <summary>Exchanging the API key and waiting for a streamer.</summary>
    Authenticating,

    /// <summary>Signalling and the peer connection are being set up.</summary>
    Connecting,

    /// <summary>Never set (as in both official clients).</summary>
    Reconnecting,

    /// <summary>Video and the <c>clientToStreamer</c> channel are up.</summary>
    Connected,

    /// <summary>Connecting failed, or the connection was lost.</summary>
    Failed,
}

/// <summary>What the streamer's <c>broadcast_ready</c> says (§5).</summary>
/// <param name="HlsUrl">The HLS playlist, when the server made one.</param>
/// <param name="WebRtcUrl">The WHEP base URL for spectators.</param>
/// <param name="SpectatorToken">The spectators' token.</param>
public sealed record BroadcastInfo(string? HlsUrl, string WebRtcUrl, string SpectatorToken);

/// <summary>Whether a session's streamer accepts an input image (<c>capabilities</c>).</summary>
public sealed record SessionCapabilities
{
    /// <summary><c>image_to_video</c>.</summary>
    [JsonPropertyName("image_to_video")]
    public bool ImageToVideo { get; init; }
}

/// <summary>
/// Pre-minted session credentials (<see cref="OdysseyClient.CreateClientCredentialsAsync"/>): a backend mints
/// them with its API key, a frontend connects with them. JSON uses the snake-case names both SDKs write
/// (<c>signaling_url</c> with one l); <see cref="FromJson"/> also reads camelCase.
/// </summary>
public sealed record ClientCredentials
{
    /// <summary>The session id (informational: re-derived from the token's <c>session_id</c> claim on load).</summary>
    public required string SessionId { get; init; }

    /// <summary>The signalling base URL.</summary>
    public required string SignalingUrl { get; init; }

    /// <summary>The session JWT. Never logged; <see cref="ToString"/> hides it.</summary>
    public required string SessionToken { get; init; }

    /// <summary>Seconds the token was valid for when minted.</summary>
    public int ExpiresIn { get; init; }

    /// <summary>What the streamer can do, when the broker said.</summary>
    public SessionCapabilities? Capabilities { get; init; }

    /// <summary>Writes the snake-case JSON object.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("session_id", SessionId);
            writer.WriteString("signaling_url", SignalingUrl);
            writer.WriteString("session_token", SessionToken);
            writer.WriteNumber("expires_in", ExpiresIn);
            if (Capabilities is not null)
            {
                writer.WriteStartObject("capabilities");
                writer.WriteBoolean("image_to_video", Capabilities.ImageToVideo);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads credentials written in snake case or camelCase; the session id comes from the token when it carries one.</summary>
    /// <exception cref="FormatException">The JSON is malformed or a required field is missing; names the field.</exception>
    public static ClientCredentials FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("ClientCredentials JSON must be an object");
            }

            var token = Field(root, "session_token", "sessionToken") ?? throw new FormatException("ClientCredentials JSON: 'session_token' is missing");
            var url = Field(root, "signaling_url", "signalingUrl") ?? throw new FormatException("ClientCredentials JSON: 'signaling_url' is missing");
            var id = SessionTokens.TryReadSessionId(token) ?? Field(root, "session_id", "sessionId")
                ?? throw new FormatException("ClientCredentials JSON: 'session_id' is missing and the token has no session_id claim");
            var expires = 0;
            if ((root.TryGetProperty("expires_in", out var e) || root.TryGetProperty("expiresIn", out e)) && e.ValueKind == JsonValueKind.Number)
            {
                expires = (int)e.GetDouble();
            }

            SessionCapabilities? capabilities = null;
            if (root.TryGetProperty("capabilities", out var c) && c.ValueKind == JsonValueKind.Object)
            {
                var i2v = (c.TryGetProperty("image_to_video", out var b) || c.TryGetProperty("imageToVideo", out b)) && b.ValueKind == JsonValueKind.True;
                capabilities = new SessionCapabilities { ImageToVideo = i2v };
            }

            return new ClientCredentials { SessionId = id, SignalingUrl = url, SessionToken = token, ExpiresIn = expires, Capabilities = capabilities };
        }
        catch (JsonException ex)
        {
            throw new FormatException($"ClientCredentials JSON is malformed at byte {ex.BytePositionInLine} of line {ex.LineNumber}", ex);
        }
    }

    /// <summary>Shows every field but the token.</summary>
    public override string ToString() => $"ClientCredentials {{ SessionId = {SessionId}, SignalingUrl = {SignalingUrl}, ExpiresIn = {ExpiresIn} }}";

    private static string? Field(JsonElement root, string snake, string camel) =>
        (root.TryGetProperty(snake, out var v) || root.TryGetProperty(camel, out v)) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>One recording's artefacts (<c>GET /recordings/{stream_id}</c>); URLs are presigned for about an hour.</summary>
public record Recording
{
    /// <summary><c>stream_id</c>.</summary>
    [JsonPropertyName("stream_id")]
    public string StreamId { get; init; } = "";

    /// <summary><c>video_url</c> (MP4).</summary>
    [JsonPropertyName("video_url")]
    public string? VideoUrl { get; init; }

    /// <summary><c>events_url</c> (JSONL).</summary>
    [JsonPropertyName("events_url")]
    public string? EventsUrl { get; init; }

    /// <summary><c>thumbnail_url</c> (JPEG).</summary>
    [JsonPropertyName("thumbnail_url")]
    public string? ThumbnailUrl { get; init; }

    /// <summary><c>preview_url</c> (MP4).</summary>
    [JsonPropertyName("preview_url")]
    public string? PreviewUrl { get; init; }

    /// <summary><c>frame_count</c>.</summary>
    [JsonPropertyName("frame_count")]
    public int? FrameCount { get; init; }

    /// <summary><c>duration_seconds</c>.</summary>
    [JsonPropertyName("duration_seconds")]
    public double? DurationSeconds { get; init; }
}

/// <summary>One entry of <c>GET /stream-recordings</c>.</summary>
public sealed record StreamRecordingInfo
{
    /// <summary><c>stream_id</c>.</summary>
    [JsonPropertyName("stream_id")]
    public string StreamId { get; init; } = "";

    /// <summary><c>width</c>.</summary>
    [JsonPropertyName("width")]
    public int Width { get; init; }

    /// <summary><c>height</c>.</summary>
    [JsonPropertyName("height")]
    public int Height { get; init; }

    /// <summary><c>started_at</c> (ISO 8601).</summary>
    [JsonPropertyName("started_at")]
    public string StartedAt { get; init; } = "";

    /// <summary><c>ended_at</c>.</summary>
    [JsonPropertyName("ended_at")]
    public string? EndedAt { get; init; }

    /// <summary><c>duration_seconds</c>.</summary>
    [JsonPropertyName("duration_seconds")]
    public double? DurationSeconds { get; init; }
}

/// <summary>A page of recordings, most recent first.</summary>
public sealed record StreamRecordingsList : ApiPage
{
    /// <summary><c>recordings</c>.</summary>
    [JsonPropertyName("recordings")]
    public IReadOnlyList<StreamRecordingInfo> Recordings { get; init; } = [];
}

/// <summary>The paging fields every list endpoint returns with its items.</summary>
public abstract record ApiPage
{
    /// <summary><c>total</c>.</summary>
    [JsonPropertyName("total")]
    public int Total { get; init; }

    /// <summary><c>limit</c>.</summary>
    [JsonPropertyName("limit")]
    public int Limit { get; init; }

    /// <summary><c>offset</c>.</summary>
    [JsonPropertyName("offset")]
    public int Offset { get; init; }
}

/// <summary>Reads the unverified <c>session_id</c> claim of a session JWT (§2 step 5).</summary>
internal static class SessionTokens
{
    public static string? TryReadSessionId(string token)
    {
        var parts = token.Split('.');
        if (parts.Length < 2)
        {
            return null;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var document = JsonDocument.Parse(Convert.FromBase64String(payload));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("session_id", out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
