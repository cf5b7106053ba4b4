using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Odyssey.Client.Tests.Fakes;

/// <summary>One request the fake saw.</summary>
internal sealed record RecordedRequest(string Method, string Path, string Query, string Body, string? Authorization);

/// <summary>
/// A fake Odyssey API and signalling server on 127.0.0.1 (Kestrel): every route answers from a replaceable
/// handler; defaults give the happy path (a token, a session pointing back here, a session token, no ICE
/// servers). Every request is recorded.
/// </summary>
internal sealed class FakeOdyssey : IAsyncDisposable
{
    public const string ApiKey = "ody_test_key_0123456789";
    public const string AccessToken = "access-token-secret-abcdef";
    public const string SessionId = "sess-42";

    private readonly WebApplication _app;

    private FakeOdyssey(WebApplication app)
    {
        _app = app;
        Url = app.Urls.First();
        SessionToken = Jwt(SessionId);
        Routes["POST /auth/token"] = ctx => Json(ctx, 200, new { access_token = AccessToken, expires_in = 3600 });
        Routes["GET /regions"] = ctx => Json(ctx, 404, new { detail = "none" });
        Routes["POST /sessions/request"] = ctx => Json(ctx, 200, new { session_id = SessionId, signalling_url = Url, capabilities = new { image_to_video = true } });
        Routes["POST /sessions/token"] = ctx => Json(ctx, 200, new { session_token = SessionToken, expires_in = 600 });
        Routes["GET /config"] = ctx => Json(ctx, 200, new { iceServers = Array.Empty<object>() });
    }

    public string Url { get; }

    public string SessionToken { get; }

    /// <summary>"METHOD /path" → handler.</summary>
    public ConcurrentDictionary<string, Func<HttpContext, Task>> Routes { get; } = new();

    /// <summary>Runs for each accepted WebSocket on /client/{id}; null closes at once with 1000.</summary>
    public Func<WebSocket, HttpContext, Task>? Signaling { get; set; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public int Count(string route) => Requests.Count(r => $"{r.Method} {r.Path}" == route);

    public static async Task<FakeOdyssey> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.UseWebSockets();
        FakeOdyssey? fake = null;
        app.Run(async ctx =>
        {
            var body = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
            var request = new RecordedRequest(ctx.Request.Method, ctx.Request.Path, ctx.Request.QueryString.Value ?? "", body, ctx.Request.Headers.Authorization.FirstOrDefault());
            fake!.Requests.Enqueue(request);
            if (ctx.WebSockets.IsWebSocketRequest && ctx.Request.Path.StartsWithSegments("/client"))
            {
                using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
                if (fake.Signaling is { } handler)
                {
                    await handler(socket, ctx);
                }
                else
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                }

                return;
            }

            if (fake.Routes.TryGetValue($"{ctx.Request.Method} {ctx.Request.Path}", out var route))
            {
                await route(ctx);
                return;
            }

            ctx.Response.StatusCode = 404;
        });
        await app.StartAsync();
        fake = new FakeOdyssey(app);
        return fake;
    }

    public static Task Json(HttpContext ctx, int status, object body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

    public static string Jwt(string sessionId)
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{B64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")}.{B64($"{{\"session_id\":\"{sessionId}\",\"secret\":\"jwt-secret-part\"}}")}.c2lnbmF0dXJlLXNlY3JldA";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Reads and writes the fake side of the signalling socket.</summary>
internal static class SignalSocket
{
    public static Task SendAsync(WebSocket socket, object message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message)), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next text message as JSON, or null when the socket closed.</summary>
    public static async Task<JsonElement?> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(message.ToArray()).RootElement.Clone();
            }
        }
    }
}
