using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Odyssey.Client.Signaling;

/// <summary>
/// The signalling WebSocket (PROTOCOL.md §3): JSON text frames with a <c>type</c>, a keepalive every 10 s,
/// <c>client_disconnecting</c> then close 1000 on our side. Messages and the close are raised on the
/// receive loop's thread, one at a time.
/// </summary>
internal sealed class SignalingClient : IAsyncDisposable
{
    /// <summary>§3: the client's heartbeat; the first goes 10 s after open.</summary>
    public static readonly TimeSpan KeepaliveInterval = TimeSpan.FromSeconds(10);

    /// <summary>§3: the Python client's largest accepted frame; bigger is a broken or hostile server.</summary>
    public const int MaxMessageBytes = 64 * 1024 * 1024;

    /// <summary>§3: the reason sent with our close.</summary>
    public const string CloseReason = "Client disconnect";

    private const int ReceiveChunk = 16 * 1024;

    /// <summary>How long our goodbye may take before the socket is aborted.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly ClientWebSocket _socket = new();
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Secrets _secrets;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _receiving;
    private Task? _keepalive;
    private int _closing;

    public SignalingClient(TimeProvider time, ILogger log, Secrets secrets)
    {
        _time = time;
        _log = log;
        _secrets = secrets;
    }

    /// <summary>A message arrived: its type and the whole object (valid only during the call).</summary>
    public event Action<string, JsonElement>? Message;

    /// <summary>The socket closed or broke: the close status (null when it broke) and a description. Raised once.</summary>
    public event Action<WebSocketCloseStatus?, string>? Closed;

    public bool IsOpen => _socket.State == WebSocketState.Open;

    /// <summary>Opens the socket; a failure is an <see cref="OdysseyConnectionError"/> without the token in it.</summary>
    public async Task ConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        _socket.Options.KeepAliveInterval = TimeSpan.Zero; // our JSON keepalive is the protocol's heartbeat
        try
        {
            await _socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException ex)
        {
            var code = _socket.HttpStatusCode;
            throw new OdysseyConnectionError(code != 0
                ? $"WebSocket connection failed (HTTP {(int)code})"
                : $"WebSocket connection failed: {_secrets.Scrub(ex.Message)}") { StatusCode = code != 0 ? (int)code : null };
        }

        _log.Detail($"signalling open at {uri.GetLeftPart(UriPartial.Path)}");
        _receiving = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        _keepalive = Task.Run(KeepaliveLoopAsync, CancellationToken.None);
    }

    /// <summary>Sends one JSON object <c>{"type": type, …}</c>.</summary>
    public async Task SendAsync(string type, Action<Utf8JsonWriter>? fields, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            fields?.Invoke(writer);
            writer.WriteEndObject();
        }

        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_socket.State != WebSocketState.Open)
            {
                throw new OdysseyConnectionError($"Signalling socket is not open; cannot send '{type}'");
            }

            await _socket.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
            _log.Signal("sent", type);
        }
        catch (WebSocketException ex)
        {
            throw new OdysseyConnectionError($"Signalling send of '{type}' failed: {_secrets.Scrub(ex.Message)}");
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>§3: <c>client_disconnecting</c> if open, then close 1000 "Client disconnect". Idempotent.</summary>
    public async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _closing, 1) == 1)
        {
            return;
        }

        if (_socket.State == WebSocketState.Open)
        {
            // Real time, not the configured clock: a bound on a network operation, not a protocol delay.
            using var timeout = new CancellationTokenSource(CloseTimeout);
            try
            {
                await SendAsync("client_disconnecting", null, timeout.Token).ConfigureAwait(false);
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, CloseReason, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OdysseyError or WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                _log.Detail($"signalling close was not clean: {_secrets.Scrub(ex.Message)}");
            }
        }

        await _stop.CancelAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        _socket.Abort();
        foreach (var task in new[] { _receiving, _keepalive })
        {
            if (task is not null)
            {
                await task.ConfigureAwait(false);
            }
        }

        _socket.Dispose();
        _stop.Dispose();
        _sendGate.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[ReceiveChunk];
        var message = new ArrayBufferWriter<byte>(ReceiveChunk);
        WebSocketCloseStatus? status = null;
        var description = "Disconnected from signaling server";
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.AsMemory(), _stop.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    status = _socket.CloseStatus;
                    description = _socket.CloseStatusDescription is { Length: > 0 } reason ? reason : description;
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, CloseReason, _stop.Token).ConfigureAwait(false);
                    }

                    break;
                }

                if (message.WrittenCount + result.Count > MaxMessageBytes)
                {
                    description = $"signalling message over {MaxMessageBytes} bytes";
                    _socket.Abort();
                    break;
                }

                message.Write(buffer.AsSpan(0, result.Count));
                if (!result.EndOfMessage)
                {
                    continue;
                }

                Dispatch(message.WrittenSpan);
                message.ResetWrittenCount();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            status = WebSocketCloseStatus.NormalClosure;
        }
        catch (WebSocketException ex)
        {
            description = $"Signaling disconnected: {_secrets.Scrub(ex.Message)}";
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        Closed?.Invoke(status, description);
    }

    private void Dispatch(ReadOnlySpan<byte> utf8)
    {
        // §3: the Python client decodes binary frames as UTF-8 too, so both kinds are parsed.
        try
        {
            var reader = new Utf8JsonReader(utf8);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                _log.Warn("signalling message without a string 'type' ignored");
                return;
            }

            var name = type.GetString()!;
            _log.Signal("received", name);
            Message?.Invoke(name, root);
        }
        catch (JsonException ex)
        {
            _log.Warn($"signalling message is not JSON (byte {ex.BytePositionInLine}); ignored");
        }
    }

    private async Task KeepaliveLoopAsync()
    {
        using var timer = new PeriodicTimer(KeepaliveInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await SendAsync("keepalive", null, _stop.Token).ConfigureAwait(false);
                }
                catch (OdysseyConnectionError)
                {
                    // The receive loop reports a broken socket; the heartbeat only stops.
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Closing.
        }
    }

    internal static string Text(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
