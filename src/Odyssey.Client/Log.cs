using Microsoft.Extensions.Logging;

namespace Odyssey.Client;

/// <summary>Every message the client logs, in one place; none takes a key or a token as an argument.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Odyssey: status {Status} {Message}")]
    public static partial void Status(this ILogger logger, ConnectionStatus status, string? message);

    [LoggerMessage(2, LogLevel.Debug, "Odyssey API: {Method} {Path} -> {StatusCode}")]
    public static partial void Http(this ILogger logger, string method, string path, int statusCode);

    [LoggerMessage(3, LogLevel.Information, "Odyssey: no streamer free, queued ({ElapsedSeconds:F0} s of {TimeoutSeconds:F0} s)")]
    public static partial void Queued(this ILogger logger, double elapsedSeconds, double timeoutSeconds);

    [LoggerMessage(4, LogLevel.Information, "Odyssey: session {SessionId} assigned, signalling at {SignalingUrl}")]
    public static partial void SessionAssigned(this ILogger logger, string sessionId, string signalingUrl);

    [LoggerMessage(5, LogLevel.Debug, "Odyssey: region latencies {Latencies}")]
    public static partial void Regions(this ILogger logger, string latencies);

    [LoggerMessage(6, LogLevel.Warning, "Odyssey: connection attempt {Attempt} failed: {Reason}; retrying in {DelayMs} ms")]
    public static partial void Retrying(this ILogger logger, int attempt, string reason, double delayMs);

    [LoggerMessage(7, LogLevel.Debug, "Odyssey signalling: {Direction} {Type}")]
    public static partial void Signal(this ILogger logger, string direction, string type);

    [LoggerMessage(8, LogLevel.Debug, "Odyssey: ICE servers {Servers}")]
    public static partial void IceServers(this ILogger logger, string servers);

    [LoggerMessage(9, LogLevel.Warning, "Odyssey: {What}")]
    public static partial void Warn(this ILogger logger, string what);

    [LoggerMessage(10, LogLevel.Debug, "Odyssey data channel: {Direction} {Type}")]
    public static partial void Channel(this ILogger logger, string direction, string type);

    [LoggerMessage(11, LogLevel.Error, "Odyssey error (fatal {Fatal}): {Message}")]
    public static partial void Error(this ILogger logger, bool fatal, string message);

    [LoggerMessage(12, LogLevel.Debug, "Odyssey: {What}")]
    public static partial void Detail(this ILogger logger, string what);
}
