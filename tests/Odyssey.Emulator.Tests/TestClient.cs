using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Odyssey.Emulator.Tests;

/// <summary>
/// The client side of PROTOCOL.md §2–§3 as plain HTTP and WebSocket calls, for tests: auth, session
/// request, session token, and a signalling socket that collects every message the server sends.
/// </summary>
internal sealed class TestClient : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<JsonObject> _received = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private ClientWebSocket? _socket;
    private Task? _receiving;

    public TestClient(EmulatorServer server)
    {
        Server = server;
        Http = new HttpClient { BaseAddress = server.ApiUrl, Timeout = Timeout };
    }

    public EmulatorServer Server { get; }

    public HttpClient Http { get; }

    public string? SessionId { get; private set; }

    public string? SignallingUrl { get; private set; }

    public string? SessionToken { get; private set; }

    public WebSocketCloseStatus? CloseStatus => _socket?.CloseStatus;

    public async Task AuthenticateAsync()
    {
        var response = await Http.PostAsJsonAsync("/auth/token", new { api_key = Server.ApiKey });
        response.EnsureSuccessStatusCode();
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Http.DefaultRequestHeaders.Authorization = new("Bearer", (string)body["access_token"]!);
    }

    /// <summary>Auth, session request and session token; returns the session request's status code.</summary>
    public async Task<System.Net.HttpStatusCode> RequestSessionAsync()
    {
        if (Http.DefaultRequestHeaders.Authorization is null)
        {
            await AuthenticateAsync();
        }

        var response = await Http.PostAsJsonAsync("/sessions/request", new JsonObject());
        if (!response.IsSuccessStatusCode)
        {
            return response.StatusCode;
        }

        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        SessionId = (string)body["session_id"]!;
        SignallingUrl = (string)body["signalling_url"]!;
        var token = await Http.PostAsJsonAsync("/sessions/token", new { session_id = SessionId });
        token.EnsureSuccessStatusCode();
        SessionToken = (string)(await token.Content.ReadFromJsonAsync<JsonObject>())!["session_token"]!;
        return response.StatusCode;
    }

    public async Task ConnectSignallingAsync()
    {
        _socket = new ClientWebSocket();
        var url = new Uri($"{SignallingUrl!.TrimEnd('/')}/client/{SessionId}?token={Uri.EscapeDataString(SessionToken!)}");
        using var cancel = new CancellationTokenSource(Timeout);
        await _socket.ConnectAsync(url, cancel.Token);
        _receiving = Task.Run(ReceiveLoopAsync);
    }

    public async Task SendAsync(JsonObject message)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        await _socket!.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, cancel.Token);
    }

    /// <summary>The first message (from the start) of <paramref name="type"/> after skipping <paramref name="skip"/> of them.</summary>
    public async Task<JsonObject> WaitForAsync(string type, int skip = 0)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        while (true)
        {
            lock (_received)
            {
                var seen = 0;
                foreach (var message in _received)
                {
                    if ((string?)message["type"] == type && seen++ == skip)
                    {
                        return message;
                    }
                }
            }

            try
            {
                await _arrived.WaitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no '{type}' message within {Timeout}; received: {string.Join(", ", Received.Select(m => m.ToJsonString()))}");
            }
        }
    }

    public IReadOnlyList<JsonObject> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Completes when the server closed (or dropped) the socket.</summary>
    public Task Closed => _receiving ?? Task.CompletedTask;

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (_socket!.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    break;
                }

                var message = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, result.Count))!.AsObject();
                lock (_received)
                {
                    _received.Add(message);
                }

                _arrived.Release(1000);
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            _arrived.Release(1000);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket is { State: WebSocketState.Open })
        {
            try
            {
                await SendAsync(new JsonObject { ["type"] = "client_disconnecting" });
                using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "Client disconnect", cancel.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }

        if (_receiving is not null)
        {
            await _receiving.WaitAsync(TimeSpan.FromSeconds(10));
        }

        _socket?.Dispose();
        Http.Dispose();
        _arrived.Dispose();
    }
}
