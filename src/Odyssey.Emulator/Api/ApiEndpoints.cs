using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Odyssey.Emulator.Auth;
using Odyssey.Emulator.Recordings;
using Odyssey.Emulator.Sessions;

namespace Odyssey.Emulator.Api;

/// <summary>The HTTP API of PROTOCOL.md §1–§9: auth, regions, sessions, ICE config, recordings.</summary>
internal static class ApiEndpoints
{
    /// <summary>The one region the emulator has; clients send its latency back in region_latencies.</summary>
    public const string RegionId = "local-emulator";

    /// <summary>What real keys look like (PROTOCOL.md §2 example ody_…): the prefix and at least this many more characters.</summary>
    private const string KeyPrefix = "ody_";
    private const int MinKeySuffix = 8;

    /// <summary>GET /stream-recordings paging: the default and the largest page (the simulation list's client-side bound).</summary>
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    private const string ActionUrl = "https://portal.odyssey.systems/dashboard";

    public static void Map(IEndpointRouteBuilder app, EmulatorContext context)
    {
        app.MapPost("/auth/token", (HttpRequest request) => AuthTokenAsync(request, context));
        app.MapGet("/ping", () => ApiResults.Json(new JsonObject { ["status"] = "ok", ["region"] = RegionId }));
        app.MapGet("/config", () => IceConfig(context));
        app.MapGet("/recordings/{streamId}/video", (string streamId) => RecordingFile(streamId, context, RecordingFileKind.Video));
        app.MapGet("/recordings/{streamId}/events", (string streamId) => RecordingFile(streamId, context, RecordingFileKind.Events));
        app.MapGet("/recordings/{streamId}/thumbnail", (string streamId) => RecordingFile(streamId, context, RecordingFileKind.Thumbnail));
        app.MapGet("/recordings/{streamId}/preview", (string streamId) => RecordingFile(streamId, context, RecordingFileKind.Preview));

        var bearer = BearerAuth.Group(app, context);
        bearer.MapGet("/regions", () => Regions(context));
        bearer.MapPost("/sessions/request", (HttpRequest request) => SessionRequestAsync(request, context));
        bearer.MapPost("/sessions/token", (HttpRequest request) => SessionTokenAsync(request, context));
        bearer.MapGet("/recordings/{streamId}", (HttpRequest request, string streamId) => GetRecording(request, streamId, context));
        bearer.MapGet("/stream-recordings", (HttpRequest request) => ListRecordings(request, context));
        app.MapPost("/telemetry", (HttpRequest request) => TelemetryAsync(request, context));
    }

    /// <summary>
    /// §7 telemetry: <c>{"events":[{…}, …]}</c>, no auth (the PY client sends none). Events are kept, in
    /// order, for tests to read (<see cref="EmulatorServer.TelemetryEvents"/>); nothing else is done with them.
    /// </summary>
    private static async Task<IResult> TelemetryAsync(HttpRequest request, EmulatorContext context)
    {
        var (body, error) = await ApiResults.ReadObjectAsync(request);
        if (error is not null)
        {
            return error;
        }

        if (!body!.TryGetPropertyValue("events", out var node) || node is not JsonArray events)
        {
            return ApiResults.Invalid(new ValidationProblem(node is null ? "missing" : "list_type", ["body", "events"], node is null ? "Field required" : "Input should be a valid list", node));
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (events[i] is not JsonObject)
            {
                return ApiResults.Invalid(new ValidationProblem("model_type", ["body", "events", i], "Input should be a valid dictionary", events[i]));
            }
        }

        foreach (var item in events)
        {
            context.TelemetryEvents.Enqueue((JsonObject)item!.DeepClone());
        }

        return ApiResults.Json(new JsonObject { ["received"] = events.Count });
    }

    private static async Task<IResult> AuthTokenAsync(HttpRequest request, EmulatorContext context)
    {
        var (body, error) = await ApiResults.ReadObjectAsync(request);
        if (error is not null)
        {
            return error;
        }

        if (!body!.TryGetPropertyValue("api_key", out var node) || node is null)
        {
            return ApiResults.Invalid(new ValidationProblem("missing", ["body", "api_key"], "Field required", body));
        }

        if (node is not JsonValue value || !value.TryGetValue<string>(out var apiKey))
        {
            return ApiResults.Invalid(new ValidationProblem("string_type", ["body", "api_key"], "Input should be a valid string", node));
        }

        if (!apiKey.StartsWith(KeyPrefix, StringComparison.Ordinal) || apiKey.Length < KeyPrefix.Length + MinKeySuffix || apiKey.Any(char.IsWhiteSpace))
        {
            return ApiResults.Detail(StatusCodes.Status422UnprocessableEntity, $"Invalid API key format. Keys start with '{KeyPrefix}' followed by at least {MinKeySuffix} characters.");
        }

        if (context.Options.DeniedApiKeys.Contains(apiKey))
        {
            return ApiResults.Detail(StatusCodes.Status403Forbidden, "API key access denied");
        }

        if (apiKey != context.Options.ApiKey)
        {
            return ApiResults.Detail(StatusCodes.Status401Unauthorized, "Invalid API key");
        }

        return ApiResults.Json(new JsonObject
        {
            ["access_token"] = context.AccessTokens.Issue(apiKey),
            ["token_type"] = "bearer",
            ["expires_in"] = (int)context.AccessTokens.Lifetime.TotalSeconds,
        });
    }

    private static IResult Regions(EmulatorContext context)
    {
        return ApiResults.Json(new JsonObject
        {
            ["regions"] = new JsonArray(new JsonObject { ["id"] = RegionId, ["ping_url"] = context.ApiUrl + "/ping" }),
        });
    }

    private static async Task<IResult> SessionRequestAsync(HttpRequest request, EmulatorContext context)
    {
        var apiKey = BearerAuth.ApiKey(request);

        // The body is {} or {"region_latencies": {...}}; an empty body is accepted as {} like the JS client's first poll.
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var (body, error) = await ApiResults.ReadObjectAsync(request);
            if (error is not null)
            {
                return error;
            }

            if (body!.TryGetPropertyValue("region_latencies", out var latencies) && latencies is not null and not JsonObject)
            {
                return ApiResults.Invalid(new ValidationProblem("dict_type", ["body", "region_latencies"], "Input should be a valid dictionary", latencies));
            }
        }

        var options = context.Options;
        if (options.ForcedUsageError is { } forced)
        {
            return UsageError(forced, context);
        }

        var (outcome, session, activeForKey) = context.Sessions.Request(apiKey);
        switch (outcome)
        {
            case SessionRequestOutcome.NoStreamer:
                return ApiResults.Detail(StatusCodes.Status503ServiceUnavailable, "No streamers available");
            case SessionRequestOutcome.ConcurrentLimit:
                return UsageError(UsageErrorCode.ConcurrentLimitReached, context, activeForKey);
        }

        context.Log($"session {session!.Id} assigned to streamer {session.StreamerId}");
        return ApiResults.Json(new JsonObject
        {
            ["session_id"] = session.Id,
            ["signalling_url"] = "ws" + context.ApiUrl["http".Length..],
            ["capabilities"] = new JsonObject { ["image_to_video"] = true },
            ["streamer_id"] = "emulator-streamer-" + session.StreamerId.ToString(CultureInfo.InvariantCulture),
            ["model"] = "odyssey-emulator",
            ["region"] = RegionId,
        });
    }

    /// <summary>429 with the typed usage body of PROTOCOL.md §9 inside <c>detail</c>.</summary>
    private static IResult UsageError(UsageErrorCode code, EmulatorContext context, int activeCount = 0)
    {
        var now = context.Time.GetUtcNow();
        var (name, message, action, details) = code switch
        {
            UsageErrorCode.MonthlyLimitReached => ("MONTHLY_LIMIT_REACHED", "Monthly usage limit reached", "upgrade", new JsonObject
            {
                ["used_hours"] = 10.0,
                ["limit_hours"] = 10.0,
                ["reset_date"] = ApiResults.Iso8601(new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1)),
            }),
            UsageErrorCode.ConcurrentLimitReached => ("CONCURRENT_LIMIT_REACHED", "Concurrent session limit reached", "wait", new JsonObject
            {
                ["active_count"] = activeCount,
                ["limit"] = context.Options.ConcurrentSessionLimit ?? context.Options.StreamerCount,
            }),
            UsageErrorCode.StreamDurationExceeded => ("STREAM_DURATION_EXCEEDED", "Stream duration limit exceeded", "upgrade", new JsonObject
            {
                ["max_duration_seconds"] = (int)(context.Options.MaxStreamDuration ?? EmulatorOptions.DefaultMaxStreamDuration).TotalSeconds,
            }),
            UsageErrorCode.AccountSuspended => ("ACCOUNT_SUSPENDED", "Account suspended", "contact_support", new JsonObject { ["reason"] = "suspended by the emulator's options" }),
            _ => ("RATE_LIMITED", "Too many requests", "retry", new JsonObject { ["retry_after_seconds"] = 1 }),
        };
        return ApiResults.Json(
            new JsonObject
            {
                ["detail"] = new JsonObject
                {
                    ["error"] = name,
                    ["message"] = message,
                    ["action"] = action,
                    ["action_url"] = ActionUrl,
                    ["details"] = details,
                },
            },
            StatusCodes.Status429TooManyRequests);
    }

    private static async Task<IResult> SessionTokenAsync(HttpRequest request, EmulatorContext context)
    {
        var apiKey = BearerAuth.ApiKey(request);

        var (body, error) = await ApiResults.ReadObjectAsync(request);
        if (error is not null)
        {
            return error;
        }

        if (!body!.TryGetPropertyValue("session_id", out var node) || node is null)
        {
            return ApiResults.Invalid(new ValidationProblem("missing", ["body", "session_id"], "Field required", body));
        }

        if (node is not JsonValue value || !value.TryGetValue<string>(out var sessionId))
        {
            return ApiResults.Invalid(new ValidationProblem("string_type", ["body", "session_id"], "Input should be a valid string", node));
        }

        if (context.Sessions.Find(sessionId) is not { } session || session.ApiKey != apiKey)
        {
            return ApiResults.Detail(StatusCodes.Status404NotFound, "Session not found");
        }

        var lifetime = context.Options.SessionTokenLifetime;
        return ApiResults.Json(new JsonObject
        {
            ["session_token"] = context.SessionTokens.Issue(session.Id, lifetime),
            ["expires_in"] = (int)lifetime.TotalSeconds,
        });
    }

    private static IResult IceConfig(EmulatorContext context)
    {
        var servers = new JsonArray();
        var options = context.Options;
        foreach (var url in options.IceServers)
        {
            var server = new JsonObject { ["urls"] = url };
            if (url.StartsWith("turn", StringComparison.OrdinalIgnoreCase) && options.IceServerUsername is not null)
            {
                server["username"] = options.IceServerUsername;
                server["credential"] = options.IceServerCredential;
            }

            servers.Add(server);
        }

        return ApiResults.Json(new JsonObject { ["iceServers"] = servers });
    }

    private static IResult GetRecording(HttpRequest request, string streamId, EmulatorContext context)
    {
        var apiKey = BearerAuth.ApiKey(request);

        if (context.Recordings.Find(streamId) is not { } info || info.ApiKey != apiKey)
        {
            return ApiResults.Detail(StatusCodes.Status404NotFound, "Recording not found");
        }

        return ApiResults.Json(RecordingJson(info, context));
    }

    /// <summary>The Recording fields of PROTOCOL.md §7 (the simulation job's streams add script_index).</summary>
    public static JsonObject RecordingJson(RecordingInfo info, EmulatorContext context)
    {
        var baseUrl = $"{context.ApiUrl}/recordings/{Uri.EscapeDataString(info.StreamId)}";
        return new JsonObject
        {
            ["stream_id"] = info.StreamId,
            ["video_url"] = info.VideoPath is null ? null : baseUrl + "/video",
            ["events_url"] = info.EventsPath is null ? null : baseUrl + "/events",
            ["thumbnail_url"] = info.ThumbnailPath is null ? null : baseUrl + "/thumbnail",
            ["preview_url"] = info.PreviewPath is null ? null : baseUrl + "/preview",
            ["frame_count"] = info.EndedAt is null ? null : info.FrameCount,
            ["duration_seconds"] = info.DurationSeconds,
        };
    }

    /// <summary>The files behind video_url, events_url, thumbnail_url and preview_url; unauthenticated like the service's presigned URLs (the stream id is unguessable).</summary>
    private static IResult RecordingFile(string streamId, EmulatorContext context, RecordingFileKind kind)
    {
        if (context.Recordings.Find(streamId) is not { } info)
        {
            return ApiResults.Detail(StatusCodes.Status404NotFound, "Recording not found");
        }

        var path = kind switch
        {
            RecordingFileKind.Video => info.VideoPath,
            RecordingFileKind.Events => info.EventsPath,
            RecordingFileKind.Thumbnail => info.ThumbnailPath,
            _ => info.PreviewPath,
        };
        if (path is null || !File.Exists(path))
        {
            return ApiResults.Detail(StatusCodes.Status404NotFound, $"Recording {kind.ToString().ToLowerInvariant()} not available");
        }

        var contentType = kind switch
        {
            RecordingFileKind.Events => "application/x-ndjson",
            RecordingFileKind.Thumbnail => "image/jpeg",
            RecordingFileKind.Preview => "video/mp4",
            _ => path.EndsWith(".webm", StringComparison.Ordinal) ? "video/webm" : "video/mp4",
        };
        return Results.File(path, contentType, Path.GetFileName(path), enableRangeProcessing: true);
    }

    private static IResult ListRecordings(HttpRequest request, EmulatorContext context)
    {
        var apiKey = BearerAuth.ApiKey(request);

        if (!TryPaging(request, out var limit, out var offset, out var invalid))
        {
            return invalid!;
        }

        var all = context.Recordings.ListFor(apiKey);
        var page = new JsonArray();
        for (var i = offset; i < Math.Min(all.Count, offset + limit); i++)
        {
            var info = all[i];
            page.Add(new JsonObject
            {
                ["stream_id"] = info.StreamId,
                ["width"] = info.Width,
                ["height"] = info.Height,
                ["started_at"] = ApiResults.Iso8601(info.StartedAt),
                ["ended_at"] = info.EndedAt is { } ended ? ApiResults.Iso8601(ended) : null,
                ["duration_seconds"] = info.DurationSeconds,
            });
        }

        return ApiResults.Json(new JsonObject { ["recordings"] = page, ["total"] = all.Count, ["limit"] = limit, ["offset"] = offset });
    }

    /// <summary><c>limit</c> in 1..100 (default 20) and <c>offset</c> ≥ 0 from the query, or a FastAPI 422.</summary>
    public static bool TryPaging(HttpRequest request, out int limit, out int offset, out IResult? invalid)
    {
        limit = DefaultPageSize;
        offset = 0;
        invalid = null;
        var problems = new List<ValidationProblem>();
        if (request.Query.TryGetValue("limit", out var limitText))
        {
            if (!int.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out limit))
            {
                problems.Add(new ValidationProblem("int_parsing", ["query", "limit"], "Input should be a valid integer, unable to parse string as an integer", limitText.ToString()));
            }
            else if (limit is < 1 or > MaxPageSize)
            {
                problems.Add(new ValidationProblem(limit < 1 ? "greater_than_equal" : "less_than_equal", ["query", "limit"], limit < 1 ? "Input should be greater than or equal to 1" : $"Input should be less than or equal to {MaxPageSize}", limit));
            }
        }

        if (request.Query.TryGetValue("offset", out var offsetText))
        {
            if (!int.TryParse(offsetText, NumberStyles.Integer, CultureInfo.InvariantCulture, out offset))
            {
                problems.Add(new ValidationProblem("int_parsing", ["query", "offset"], "Input should be a valid integer, unable to parse string as an integer", offsetText.ToString()));
            }
            else if (offset < 0)
            {
                problems.Add(new ValidationProblem("greater_than_equal", ["query", "offset"], "Input should be greater than or equal to 0", offset));
            }
        }

        if (problems.Count > 0)
        {
            invalid = ApiResults.Invalid([.. problems]);
            return false;
        }

        return true;
    }
}

/// <summary>The files of one recording the API serves.</summary>
internal enum RecordingFileKind
{
    Video,
    Events,
    Thumbnail,
    Preview,
}
