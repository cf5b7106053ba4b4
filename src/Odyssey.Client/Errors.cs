using System.Text.Json;

namespace Odyssey.Client;

/// <summary>The base of every error the client reports (PROTOCOL.md §9). Messages never carry the API key or a token.</summary>
public class OdysseyError : Exception
{
    /// <summary>Creates the error.</summary>
    public OdysseyError()
    {
    }

    /// <summary>Creates the error with a message.</summary>
    public OdysseyError(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with a message and its cause.</summary>
    public OdysseyError(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The API key was refused (401/403/422 from <c>/auth/token</c>).</summary>
public class OdysseyAuthError : OdysseyError
{
    /// <summary>Creates the error.</summary>
    public OdysseyAuthError()
    {
    }

    /// <summary>Creates the error with a message.</summary>
    public OdysseyAuthError(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with a message and its cause.</summary>
    public OdysseyAuthError(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status that refused the key, when one did.</summary>
    public int? StatusCode { get; init; }
}

/// <summary>Connecting failed: the API, the queue, signalling, ICE/DTLS or a timeout.</summary>
public class OdysseyConnectionError : OdysseyError
{
    /// <summary>Creates the error.</summary>
    public OdysseyConnectionError()
    {
    }

    /// <summary>Creates the error with a message.</summary>
    public OdysseyConnectionError(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with a message and its cause.</summary>
    public OdysseyConnectionError(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status behind it, when an HTTP call failed.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The signalling <c>error</c> message's <c>reason</c>, when the server sent one.</summary>
    public string? Reason { get; init; }
}

/// <summary>A stream could not start, or failed while running (<c>interactive_stream_error</c>, or a call in the wrong state).</summary>
public class OdysseyStreamError : OdysseyError
{
    /// <summary>Creates the error.</summary>
    public OdysseyStreamError()
    {
    }

    /// <summary>Creates the error with a message.</summary>
    public OdysseyStreamError(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with a message and its cause.</summary>
    public OdysseyStreamError(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The streamer's <c>reason</c>, when it sent one.</summary>
    public string? Reason { get; init; }
}

/// <summary>A usage limit (HTTP 429 from <c>/sessions/request</c>, or a stream error the limits explain).</summary>
public class OdysseyUsageError : OdysseyError
{
    /// <summary>Where the dashboard is, for stream errors that carry no link (§9).</summary>
    public const string DashboardUrl = "https://portal.odyssey.systems/dashboard";

    /// <summary>Creates the error.</summary>
    public OdysseyUsageError()
    {
    }

    /// <summary>Creates the error with a message.</summary>
    public OdysseyUsageError(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with a message and its cause.</summary>
    public OdysseyUsageError(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The server's code, e.g. <c>MONTHLY_LIMIT_REACHED</c>.</summary>
    public string Code { get; init; } = "";

    /// <summary>What the user can do about it.</summary>
    public string? Action { get; init; }

    /// <summary>Where to do it.</summary>
    public string? ActionUrl { get; init; }

    /// <summary>The raw <c>details</c> object (fields per code).</summary>
    public IReadOnlyDictionary<string, JsonElement> Details { get; init; } = new Dictionary<string, JsonElement>();

    internal double? Number(string name) =>
        Details.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    internal string? Text(string name) =>
        Details.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary><c>MONTHLY_LIMIT_REACHED</c> (or the stream error <c>quota_exceeded</c>).</summary>
public sealed class MonthlyLimitReachedError : OdysseyUsageError
{
    /// <summary>Creates the error.</summary>
    public MonthlyLimitReachedError()
    {
    }

    /// <summary>Creates the error with a message.</summary>
    public MonthlyLimitReachedError(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with a message and its cause.</summary>
    public MonthlyLimitReachedError(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary><c>details.used_hours</c>.</summary>
    public double? UsedHours => Number("used_hours");

    /// <summary><c>details.limit_hours</c>.</summary>
    public double? LimitHours => Number("limit_hours");

    /// <summary><c>details.reset_date</c>.</summary>
    public string? ResetDate => Text("reset_date");
}

/// <summary><c>CONCURRENT_LIMIT_REACHED</c> (or the stream error <c>concurrent_limit_exceeded</c>).</summary>
public sealed class ConcurrentLimitReachedError : OdysseyUsageError
{
    /// <summary>Creates the error.</summary>
    public ConcurrentLimitReachedError()
    {
    }

    /// <summary>Creates the error with a message.</summary>
    public ConcurrentLimitReachedError(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with a message and its cause.</summary>
    public ConcurrentLimitReachedError(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary><c>details.active_count</c>.</summary>
    public int? ActiveCount => Number("active_count") is { } n ? (int)n : null;

    /// <summary><c>details.limit</c>.</summary>
    public int? Limit => Number("limit") is { } n ? (int)n : null;
}

/// <summary><c>STREAM_DURATION_EXCEEDED</c> (or the stream error <c>session_timeout</c>).</summary>
public sealed class StreamDurationExceededError : OdysseyUsageError
{
    /// <summary>§9: the default when <c>details.max_duration_seconds</c> is absent.</summary>
    public const int DefaultMaxDurationSeconds = 300;

    /// <summary>Creates the error.</summary>
    public StreamDurationExceededError()
    {
    }

    /// <summary>Creates the error with a message.</summary>
    public StreamDurationExceededError(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with a message and its cause.</summary>
    public StreamDurationExceededError(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary><c>details.max_duration_seconds</c> (300 when absent).</summary>
    public int MaxDurationSeconds => Number("max_duration_seconds") is { } n ? (int)n : DefaultMaxDurationSeconds;
}

/// <summary><c>ACCOUNT_SUSPENDED</c>.</summary>
public sealed class AccountSuspendedError : OdysseyUsageError
{
    /// <summary>Creates the error.</summary>
    public AccountSuspendedError()
    {
    }

    /// <summary>Creates the error with a message.</summary>
    public AccountSuspendedError(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with a message and its cause.</summary>
    public AccountSuspendedError(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary><c>details.reason</c>.</summary>
    public string? SuspensionReason => Text("reason");
}

/// <summary><c>RATE_LIMITED</c>.</summary>
public sealed class RateLimitError : OdysseyUsageError
{
    /// <summary>Creates the error.</summary>
    public RateLimitError()
    {
    }

    /// <summary>Creates the error with a message.</summary>
    public RateLimitError(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with a message and its cause.</summary>
    public RateLimitError(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary><c>details.retry_after_seconds</c>.</summary>
    public double? RetryAfterSeconds => Number("retry_after_seconds");
}

/// <summary>The exact §9 mappings from wire codes and reasons to error types.</summary>
internal static class ErrorMapping
{
    /// <summary>A 429 body's usage object (<c>{error|code, message, action, action_url?, details?}</c>) → its typed error.</summary>
    public static OdysseyUsageError Usage(string code, string message, string? action, string? actionUrl, IReadOnlyDictionary<string, JsonElement> details) => code switch
    {
        "MONTHLY_LIMIT_REACHED" => new MonthlyLimitReachedError(message) { Code = code, Action = action, ActionUrl = actionUrl, Details = details },
        "CONCURRENT_LIMIT_REACHED" => new ConcurrentLimitReachedError(message) { Code = code, Action = action, ActionUrl = actionUrl, Details = details },
        "STREAM_DURATION_EXCEEDED" => new StreamDurationExceededError(message) { Code = code, Action = action, ActionUrl = actionUrl, Details = details },
        "ACCOUNT_SUSPENDED" => new AccountSuspendedError(message) { Code = code, Action = action, ActionUrl = actionUrl, Details = details },
        "RATE_LIMITED" => new RateLimitError(message) { Code = code, Action = action, ActionUrl = actionUrl, Details = details },
        _ => new OdysseyUsageError(message) { Code = code, Action = action, ActionUrl = actionUrl, Details = details },
    };

    /// <summary>An <c>interactive_stream_error</c> → the error that rejects the pending start/interact (the Python mapping, §9).</summary>
    public static OdysseyError StreamError(string reason, string message) => reason switch
    {
        "quota_exceeded" => new MonthlyLimitReachedError(message) { Code = "MONTHLY_LIMIT_REACHED", ActionUrl = OdysseyUsageError.DashboardUrl },
        "concurrent_limit_exceeded" => new ConcurrentLimitReachedError(message) { Code = "CONCURRENT_LIMIT_EXCEEDED", ActionUrl = OdysseyUsageError.DashboardUrl },
        "session_timeout" => new StreamDurationExceededError(message) { Code = "STREAM_DURATION_EXCEEDED", ActionUrl = OdysseyUsageError.DashboardUrl },
        "lease_denied" => new OdysseyStreamError("Stream request denied - please try again") { Reason = reason },
        _ => new OdysseyStreamError($"{reason}: {message}") { Reason = reason },
    };

    /// <summary>A signalling <c>error</c> message's reason → its text (the JS map, which adds <c>duration_limit_reached</c>).</summary>
    public static string SignalingReason(string reason) => reason switch
    {
        "streamer_not_available" => "Streamer not available. Please ensure the streamer is running.",
        "streamer_disconnected" => "Streamer has disconnected.",
        "duration_limit_reached" => "Connection exceeded maximum allowed duration.",
        "unknown" => "Unknown server error.",
        _ => $"Server error: {reason}",
    };
}
