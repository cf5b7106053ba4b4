using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Odyssey.Emulator.Api;
using Odyssey.Emulator.Streaming;
using Odyssey.WebRtc;

namespace Odyssey.Emulator.Signaling;

/// <summary>
/// The signalling WebSocket <c>/client/{session_id}?token=…</c> (PROTOCOL.md §3): verifies the session
/// token, starts the session's streamer (which sends the offer and trickles), and routes the client's
/// <c>answer</c>, <c>ice_candidate</c>, <c>keepalive</c>, <c>client_disconnecting</c> and
/// <c>interactive_stream_start</c>. A token or session problem refuses the upgrade with 403 (what
/// Starlette does for a WebSocket closed before accept); the client sees a close before open and retries.
/// </summary>
internal static class SignalingEndpoint
{
    /// <summary>PROTOCOL.md §3: the PY client accepts frames up to 64 MiB; a 25 MiB image in base64 fits.</summary>
    public const int MaxMessageBytes = 64 * 1024 * 1024;

    public static void Map(IEndpointRouteBuilder app, EmulatorContext context) =>
        app.Map("/client/{sessionId}", (HttpContext http, string sessionId) => RunAsync(http, sessionId, context));

    private static async Task RunAsync(HttpContext http, string sessionId, EmulatorContext context)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await ApiResults.Detail(StatusCodes.Status400BadRequest, "expected a WebSocket upgrade").ExecuteAsync(http);
            return;
        }

        string? refusal = null;
        if (!context.SessionTokens.TryValidate(http.Request.Query["token"], out var tokenSession, out var problem))
        {
            refusal = problem;
        }
        else if (tokenSession != sessionId)
        {
            refusal = "session token is for another session";
        }

        var session = refusal is null ? context.Sessions.Find(sessionId) : null;
        if (refusal is null && session is null)
        {
            refusal = "Session not found";
        }

        if (refusal is null && !context.Sessions.TryAttach(session!))
        {
            refusal = "session already has a signalling connection";
        }

        if (refusal is not null)
        {
            context.Log($"signalling for {sessionId} refused: {refusal}");
            await ApiResults.Detail(StatusCodes.Status403Forbidden, refusal).ExecuteAsync(http);
            return;
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        var connection = new SignalingConnection(socket, context, session!, http.RequestAborted);
        var ended = false;
        try
        {
            ended = await connection.RunAsync();
        }
        finally
        {
            if (ended)
            {
                context.Sessions.Close(session!, "client_disconnecting or stream limit");
            }
            else
            {
                context.Sessions.Detach(session!);
            }
        }
    }
}

/// <summary>One live signalling WebSocket and the streamer behind it.</summary>
internal sealed class SignalingConnection(WebSocket socket, EmulatorContext context, Sessions.EmulatorSession session, CancellationToken aborted) : ISignalChannel
{
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly CancellationTokenSource _closing = CancellationTokenSource.CreateLinkedTokenSource(aborted);
    private StreamerClose? _closeRequest;


    /// <summary>How long we wait for the client's close frame after sending ours.</summary>
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();

    /// <summary>Runs until the client leaves or the streamer ends it; true when the session is over (not just this connection).</summary>
    public async Task<bool> RunAsync()
    {
        var options = context.Options;
        if (options.SignalingErrorReason is { } reason)
        {
            context.Log($"session {session.Id}: fault: signalling error '{reason}'");
            await SendAsync(new JsonObject { ["type"] = "error", ["reason"] = reason });
            await CloseQuietlyAsync(WebSocketCloseStatus.NormalClosure, reason);
            return false;
        }

        if (options.MaxConnectionDuration is { } limit)
        {
            _ = LimitConnectionAsync(limit);
        }

        var streamer = new StreamerSession(context, session, this);
        var clientEnded = false;
        try
        {
            await streamer.StartAsync(_closing.Token);
            clientEnded = await ReceiveLoopAsync(streamer);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
        catch (WebSocketException e)
        {
            context.Log($"session {session.Id}: WebSocket ended: {e.Message}");
        }
#pragma warning disable CA1031 // a streamer that cannot start (no encoder, no socket) ends this session with a reason, not the server
        catch (Exception e)
#pragma warning restore CA1031
        {
            context.Log($"session {session.Id}: streamer failed: {e}");
            Close(StreamerClose.PeerFailed);
        }
        finally
        {
            await streamer.DisposeAsync();
            await _closing.CancelAsync();
        }

        StreamerClose? request;
        lock (_gate)
        {
            request = _closeRequest;
        }

        if (request is null)
        {
            await CloseQuietlyAsync(WebSocketCloseStatus.NormalClosure, clientEnded ? "client disconnected" : "closing");
        }

        return clientEnded || request is StreamerClose.SessionTimeout or StreamerClose.DurationLimit;
    }

    public async ValueTask SendAsync(JsonObject message)
    {
        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        await _sendGate.WaitAsync(CancellationToken.None);
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>
    /// Ends the connection as <paramref name="why"/> says. Except for the drop fault, it sends what the
    /// client should read and our close frame, then waits for the client's close (cancelling a pending
    /// receive would abort the socket before the close frame went out).
    /// </summary>
    public void Close(StreamerClose why)
    {
        lock (_gate)
        {
            if (_closeRequest is not null)
            {
                return;
            }

            _closeRequest = why;
        }

        _ = CloseForAsync(why);
    }

    private async Task CloseForAsync(StreamerClose why)
    {
        switch (why)
        {
            case StreamerClose.Drop:
                socket.Abort();
                await _closing.CancelAsync();
                return;
            case StreamerClose.PeerFailed:
                await SendQuietlyAsync(new JsonObject { ["type"] = "error", ["reason"] = "streamer_disconnected" });
                await CloseOutputQuietlyAsync(WebSocketCloseStatus.InternalServerError, "streamer_disconnected");
                break;
            case StreamerClose.DurationLimit:
                await SendQuietlyAsync(new JsonObject { ["type"] = "error", ["reason"] = "duration_limit_reached" });
                await CloseOutputQuietlyAsync(WebSocketCloseStatus.NormalClosure, "duration_limit_reached");
                break;
            default:
                await CloseOutputQuietlyAsync(WebSocketCloseStatus.NormalClosure, "session_timeout");
                break;
        }

        try
        {
            _closing.CancelAfter(CloseHandshakeTimeout);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task LimitConnectionAsync(TimeSpan limit)
    {
        try
        {
            await Task.Delay(limit, context.Time, _closing.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        context.Log($"session {session.Id}: connection reached its duration limit ({limit})");
        Close(StreamerClose.DurationLimit);
    }

    /// <summary>True when the client said client_disconnecting.</summary>
    private async Task<bool> ReceiveLoopAsync(StreamerSession streamer)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                var (text, closed) = await ReceiveTextAsync(buffer);
                if (closed)
                {
                    return false;
                }

                if (text is null)
                {
                    continue;
                }

                if (!await DispatchAsync(text, streamer))
                {
                    return true;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Routes one client message; false when it was client_disconnecting.</summary>
    private async Task<bool> DispatchAsync(string text, StreamerSession streamer)
    {
        JsonObject? message;
        try
        {
            message = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            message = null;
        }

        var type = message?["type"] is JsonValue t && t.TryGetValue<string>(out var name) ? name : null;
        switch (type)
        {
            case "answer" when message!["sdp"] is JsonValue sdpNode && sdpNode.TryGetValue<string>(out var sdp):
                try
                {
                    await streamer.ApplyAnswerAsync(sdp);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
                {
                    context.Log($"session {session.Id}: the answer was refused: {e.Message}");
                    await SendAsync(new JsonObject { ["type"] = "error", ["reason"] = "unknown" });
                }

                break;
            case "ice_candidate":
                var candidate = message!["candidate"] is JsonValue c && c.TryGetValue<string>(out var line) ? line : "";
                var mid = message["sdpMid"] is JsonValue m && m.TryGetValue<string>(out var midText) ? midText : null;
                streamer.AddRemoteCandidate(candidate, mid);
                break;
            case "keepalive":
                break; // accepted; no reply (none is documented)
            case "client_disconnecting":
                context.Log($"session {session.Id}: client_disconnecting");
                return false;
            case "interactive_stream_start":
                streamer.Post(text, MessageTransport.WebSocket);
                break;
            default:
                context.Log($"session {session.Id}: ignored signalling message of type '{type ?? "(none)"}'");
                break;
        }

        return true;
    }

    /// <summary>One whole message as text (binary frames decoded as UTF-8, as the PY client does); (null, true) on close.</summary>
    private async Task<(string? Text, bool Closed)> ReceiveTextAsync(byte[] buffer)
    {
        using var assembled = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, _closing.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (null, true);
            }

            assembled.Write(buffer, 0, result.Count);
            if (assembled.Length > SignalingEndpoint.MaxMessageBytes)
            {
                context.Log($"session {session.Id}: a signalling message exceeded {SignalingEndpoint.MaxMessageBytes} bytes; closing");
                await CloseQuietlyAsync(WebSocketCloseStatus.MessageTooBig, "message too big");
                return (null, true);
            }

            if (result.EndOfMessage)
            {
                return (Encoding.UTF8.GetString(assembled.GetBuffer(), 0, (int)assembled.Length), false);
            }
        }
    }

    private async Task SendQuietlyAsync(JsonObject message)
    {
        try
        {
            await SendAsync(message);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private async Task CloseOutputQuietlyAsync(WebSocketCloseStatus status, string reason)
    {
        await _sendGate.WaitAsync(CancellationToken.None);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(status, reason, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private async Task CloseQuietlyAsync(WebSocketCloseStatus status, string reason)
    {
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(status, reason, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
