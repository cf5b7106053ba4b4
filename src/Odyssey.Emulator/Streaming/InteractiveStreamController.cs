using System.Text.Json;
using System.Text.Json.Nodes;
using Odyssey.Emulator.Broadcast;
using Odyssey.Emulator.World;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Emulator.Streaming;

/// <summary>Which way a client message came (PROTOCOL.md §5: start may come on either).</summary>
internal enum MessageTransport
{
    DataChannel,
    WebSocket,
}

/// <summary>What the controller needs from the session that owns the world, the video and the recording.</summary>
internal interface IStreamHost
{
    /// <summary>Starts a stream showing <paramref name="scene"/> in the given orientation, starts its recording; returns the stream id.</summary>
    string StartStream(Scene scene, bool portrait);

    /// <summary>Shows <paramref name="scene"/> from the next frame on.</summary>
    void ShowScene(Scene scene);

    /// <summary>Appends an event to the running stream's events JSONL.</summary>
    void RecordEvent(string type, JsonObject fields);

    /// <summary>Ends the running stream and finishes its recording (files complete when this returns).</summary>
    void EndStream();

    /// <summary>Opens spectator playback (WHEP) of the running stream <paramref name="streamId"/>.</summary>
    BroadcastAnnouncement StartBroadcast(string streamId);
}

/// <summary>
/// The streamer's side of the data-channel protocol (PROTOCOL.md §5), independent of transport so it can
/// be tested without WebRTC: <c>interactive_stream_start</c> → <c>stream_started</c> {stream_id,
/// applied_prompt}; <c>update</c> → <c>update_acknowledged</c> {prompt}; <c>interactive_stream_end</c> →
/// <c>stream_ended</c>; anything wrong → <c>interactive_stream_error</c> {reason, message}. Messages must be
/// handed in one at a time (the session's message loop); replies go to the sink in order.
/// </summary>
internal sealed class InteractiveStreamController(IStreamHost host, Func<JsonObject, ValueTask> reply, string? forcedErrorReason = null, Action<string>? log = null)
{
    /// <summary>PROTOCOL.md §5 image prep: clients refuse images over 25 MiB; so do we.</summary>
    public const int MaxImageBytes = 25 * 1024 * 1024;

    /// <summary>DOCS: the message a per-stream limit ends with.</summary>
    public const string SessionTimeoutMessage = "Stream ended: credit lease expired";

    /// <summary>What an empty prompt is expanded to (the emulator's stand-in for the service's VLM expansion).</summary>
    public const string EmptyPromptExpansion = "an empty emulated world";

    /// <summary>Checked start images are decoded here and released at once: one retained per shape is plenty.</summary>
    private static readonly VideoFramePool ImagePool = new(retainedPerShape: 1);

    private string? _streamId;

    /// <summary>The running stream's id; null when none runs.</summary>
    public string? StreamId => _streamId;

    /// <summary>Handles one client message (UTF-8 JSON text). Unknown types are ignored, as clients ignore ours.</summary>
    public async Task HandleAsync(string text, MessageTransport transport)
    {
        JsonObject? message;
        try
        {
            message = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException e)
        {
            await ErrorAsync("invalid_message", $"message is not JSON: {e.Message}");
            return;
        }

        if (message?["type"] is not JsonValue typeNode || !typeNode.TryGetValue<string>(out var type))
        {
            await ErrorAsync("invalid_message", "message is not a JSON object with a string 'type'");
            return;
        }

        switch (type)
        {
            case "interactive_stream_start":
                await StartAsync(message, transport);
                break;
            case "update":
                await UpdateAsync(message);
                break;
            case "interactive_stream_end":
                await EndAsync();
                break;
            default:
                log?.Invoke($"ignored a '{type}' message on the {transport}");
                break;
        }
    }

    /// <summary>The per-stream limit passed: end the stream and say <c>session_timeout</c> (the caller then closes the connection).</summary>
    public async Task ExpireAsync()
    {
        if (_streamId is null)
        {
            return;
        }

        host.RecordEvent("error", new JsonObject { ["reason"] = "session_timeout" });
        host.EndStream();
        _streamId = null;
        await ErrorAsync("session_timeout", SessionTimeoutMessage);
    }

    /// <summary>The connection is going away: finish the recording without replying.</summary>
    public void Abandon()
    {
        if (_streamId is not null)
        {
            host.RecordEvent("end", new JsonObject { ["reason"] = "connection closed" });
            host.EndStream();
            _streamId = null;
        }
    }

    private async Task StartAsync(JsonObject message, MessageTransport transport)
    {
        if (!TryGetString(message, "prompt", "", out var prompt)
            || !TryGetBool(message, "portrait", true, out var portrait)
            || !TryGetBool(message, "broadcast", false, out var broadcast)
            || !TryGetNullableBool(message, "bypass_vlm_expansion", out var bypass)
            || !TryGetNullableString(message, "input_image_base64", out var image))
        {
            await ErrorAsync("invalid_request", "interactive_stream_start: 'prompt' must be a string, 'portrait' and 'broadcast' booleans, 'bypass_vlm_expansion' a boolean or null, 'input_image_base64' a data URL or null");
            return;
        }

        if (forcedErrorReason is not null)
        {
            await ErrorAsync(forcedErrorReason, ForcedErrorMessage(forcedErrorReason));
            return;
        }

        if (_streamId is not null)
        {
            await ErrorAsync("stream_already_active", $"stream {_streamId} is running; end it before starting another");
            return;
        }

        uint imageSeed = 0;
        if (image is not null)
        {
            if (!TryDecodeDataUrl(image, out var bytes, out var problem) || !TryCheckPreparedImage(bytes, portrait, out problem))
            {
                await ErrorAsync("invalid_request", $"input_image_base64: {problem}");
                return;
            }

            // The world takes its colours from the image's bytes: a different picture, a different scene.
            imageSeed = Scene.Fnv1a(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, char>(bytes.AsSpan(0, bytes.Length & ~1)));
        }

        var applied = bypass == true ? prompt : Expand(prompt);
        _streamId = host.StartStream(Scene.For(applied, imageSeed), portrait);
        host.RecordEvent("start", new JsonObject
        {
            ["prompt"] = prompt,
            ["applied_prompt"] = applied,
            ["portrait"] = portrait,
            ["broadcast"] = broadcast,
            ["bypass_vlm_expansion"] = bypass,
            ["has_image"] = image is not null,
            ["via"] = transport == MessageTransport.DataChannel ? "data_channel" : "websocket",
        });
        log?.Invoke($"stream {_streamId} started ({(portrait ? "portrait" : "landscape")}, via {transport}): \"{applied}\"");
        await reply(new JsonObject { ["type"] = "stream_started", ["stream_id"] = _streamId, ["applied_prompt"] = applied });
        if (broadcast)
        {
            // §5: broadcast_ready {broadcast_url (HLS; the emulator has none), webrtc_url, spectator_token}.
            var announcement = host.StartBroadcast(_streamId);
            await reply(new JsonObject
            {
                ["type"] = "broadcast_ready",
                ["broadcast_url"] = null,
                ["webrtc_url"] = announcement.WebRtcUrl,
                ["spectator_token"] = announcement.SpectatorToken,
            });
        }
    }

    private async Task UpdateAsync(JsonObject message)
    {
        if (!TryGetString(message, "prompt", null, out var prompt))
        {
            await ErrorAsync("invalid_request", "update: 'prompt' must be a string");
            return;
        }

        if (_streamId is null)
        {
            await ErrorAsync("no_active_stream", "update: no stream is running; send interactive_stream_start first");
            return;
        }

        var applied = Expand(prompt);
        host.ShowScene(Scene.For(applied));
        host.RecordEvent("interact", new JsonObject { ["prompt"] = prompt, ["applied_prompt"] = applied });
        await reply(new JsonObject { ["type"] = "update_acknowledged", ["prompt"] = applied });
    }

    private async Task EndAsync()
    {
        // Idempotent: a client ending a stream that already ended (timeout, error) still gets its answer.
        var ended = _streamId;
        if (ended is not null)
        {
            host.RecordEvent("end", []);
            host.EndStream();
            _streamId = null;
            log?.Invoke($"stream {ended} ended");
        }

        var answer = new JsonObject { ["type"] = "stream_ended" };
        if (ended is not null)
        {
            answer["stream_id"] = ended;
        }

        await reply(answer);
    }

    private ValueTask ErrorAsync(string reason, string message) =>
        reply(new JsonObject { ["type"] = "interactive_stream_error", ["reason"] = reason, ["message"] = message });

    /// <summary>The emulator's prompt "expansion": whitespace normalised, an empty prompt given a default. Bypass keeps the prompt as sent.</summary>
    internal static string Expand(string prompt)
    {
        var words = prompt.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return words.Length == 0 ? EmptyPromptExpansion : string.Join(' ', words);
    }

    private static string ForcedErrorMessage(string reason) => reason switch
    {
        "quota_exceeded" => "Monthly usage quota exceeded",
        "concurrent_limit_exceeded" => "Concurrent stream limit exceeded",
        "lease_denied" => "Stream lease denied",
        _ => "Stream error occurred",
    };

    /// <summary><c>data:&lt;mime&gt;;base64,&lt;b64&gt;</c> of at most <see cref="MaxImageBytes"/>.</summary>
    internal static bool TryDecodeDataUrl(string url, out byte[] bytes, out string problem)
    {
        bytes = [];
        const string Marker = ";base64,";
        var comma = url.IndexOf(Marker, StringComparison.Ordinal);
        if (!url.StartsWith("data:", StringComparison.Ordinal) || comma < 0)
        {
            problem = "expected a data URL 'data:<mime>;base64,<data>'";
            return false;
        }

        var payload = url.AsSpan(comma + Marker.Length);
        if (payload.Length / 4 * 3 > MaxImageBytes + 3)
        {
            problem = $"Image exceeds maximum size of 25MB ({payload.Length / 4 * 3 / (1024.0 * 1024):F1}MB provided)";
            return false;
        }

        bytes = new byte[(payload.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64Chars(payload, bytes, out var written) || written == 0)
        {
            bytes = [];
            problem = "the base64 data does not decode, or is empty";
            return false;
        }

        bytes = bytes[..written];
        problem = "";
        return true;
    }

    /// <summary>
    /// §5 "Image prep": clients send the image already cropped to the video size (1280×704, or 704×1280 when
    /// portrait). Decoding it fully also proves the bytes are a picture, not only a magic number; a client
    /// that skips the preparation is told the size it sent and the size expected.
    /// </summary>
    internal static bool TryCheckPreparedImage(byte[] bytes, bool portrait, out string problem)
    {
        var (width, height) = portrait ? (EmulatorOptions.DefaultHeight, EmulatorOptions.DefaultWidth) : (EmulatorOptions.DefaultWidth, EmulatorOptions.DefaultHeight);
        VideoFrame picture;
        try
        {
            picture = StillImage.Decode(bytes, ImagePool);
        }
        catch (InvalidDataException ex)
        {
            problem = ex.Message;
            return false;
        }

        var size = (picture.Width, picture.Height);
        picture.Release();
        if (size != (width, height))
        {
            problem = $"image is {size.Width}x{size.Height}; a {(portrait ? "portrait" : "landscape")} start takes a {width}x{height} image (clients resize and centre-crop it)";
            return false;
        }

        problem = "";
        return true;
    }

    private static bool TryGetString(JsonObject message, string name, string? fallback, out string value)
    {
        value = fallback ?? "";
        if (!message.TryGetPropertyValue(name, out var node) || node is null)
        {
            return fallback is not null;
        }

        if (node is JsonValue v && v.TryGetValue<string>(out var text))
        {
            value = text;
            return true;
        }

        return false;
    }

    private static bool TryGetNullableString(JsonObject message, string name, out string? value)
    {
        value = null;
        if (!message.TryGetPropertyValue(name, out var node) || node is null)
        {
            return true;
        }

        return node is JsonValue v && v.TryGetValue(out value);
    }

    private static bool TryGetBool(JsonObject message, string name, bool fallback, out bool value)
    {
        value = fallback;
        if (!message.TryGetPropertyValue(name, out var node) || node is null)
        {
            return true;
        }

        return node is JsonValue v && v.TryGetValue(out value);
    }

    private static bool TryGetNullableBool(JsonObject message, string name, out bool? value)
    {
        value = null;
        if (!message.TryGetPropertyValue(name, out var node) || node is null)
        {
            return true;
        }

        if (node is JsonValue v && v.TryGetValue<bool>(out var flag))
        {
            value = flag;
            return true;
        }

        return false;
    }
}
