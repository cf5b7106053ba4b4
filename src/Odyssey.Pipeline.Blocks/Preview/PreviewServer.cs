using System.Buffers.Binary;
using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Odyssey.Pipeline.Blocks;

/// <summary>One message for every connected browser: a JPEG frame (binary) or a JSON update (text).</summary>
/// <param name="Binary">True for a frame: the socket message is a 16-byte header (sequence, frame index; little-endian int64) then the JPEG.</param>
/// <param name="Sequence">Preview frames sent so far when this one was made, so a page can check order.</param>
/// <param name="FrameIndex">The pipeline frame's index.</param>
/// <param name="Payload">JPEG or UTF-8 JSON; shared by every client, never changed after creation.</param>
internal readonly record struct PreviewMessage(bool Binary, long Sequence, long FrameIndex, byte[] Payload);

/// <summary>
/// The preview's web server (Kestrel): serves the embedded page at <c>/</c> and pushes messages to every
/// browser connected to <c>/ws</c>. Each browser has its own small drop-oldest queue and sender, so a slow
/// or stalled browser loses old frames and never slows the pipeline or the other browsers; a closed tab
/// ends its sender and is forgotten.
/// </summary>
internal sealed class PreviewServer : IAsyncDisposable
{
    /// <summary>Header before each JPEG: sequence and frame index, 8 bytes each.</summary>
    public const int FrameHeaderBytes = 16;

    /// <summary>A frame and a few updates: enough to ride out jitter, little enough that what a browser shows is recent.</summary>
    private const int ClientQueueCapacity = 4;

    /// <summary>Browsers close idle connections behind proxies; a ping keeps them and finds dead peers.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly string _page;
    private readonly byte[] _hello;
    private readonly Lock _lock = new();
    private Client[] _clients = [];
    private long _dropped;

    private PreviewServer(WebApplication app, string page, byte[] hello)
    {
        _app = app;
        _page = page;
        _hello = hello;
    }

    /// <summary>Where the page is served.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Browsers connected now.</summary>
    public int ClientCount => Volatile.Read(ref _clients).Length;

    /// <summary>Messages dropped because a browser fell behind, over all browsers.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Starts listening on <paramref name="address"/>:<paramref name="port"/> (0 = any free port).</summary>
    public static async Task<PreviewServer> StartAsync(IPAddress address, int port, string page, byte[] hello, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();

        // The runner owns Ctrl+C and SIGTERM (drain, then finalise); the host must not stop the page on its own.
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, port));
        var app = builder.Build();
        var server = new PreviewServer(app, page, hello);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = KeepAlive });
        app.MapGet("/", server.ServePage);
        app.Map("/ws", server.ServeSocketAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri(bound.EndsWith('/') ? bound : bound + "/");
        return server;
    }

    /// <summary>Queues <paramref name="message"/> for every browser; never waits.</summary>
    public void Broadcast(PreviewMessage message)
    {
        foreach (var client in Volatile.Read(ref _clients))
        {
            client.Queue.Writer.TryWrite(message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in Volatile.Read(ref _clients))
        {
            client.Queue.Writer.TryComplete();
        }

        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _app.StopAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Connections that would not close in time are cut by the dispose below.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private IResult ServePage() => Results.Content(_page, "text/html; charset=utf-8");

    private async Task ServeSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("the preview stream is a WebSocket; open / in a browser").ConfigureAwait(false);
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var client = new Client(socket, this);
        client.Queue.Writer.TryWrite(new PreviewMessage(false, 0, 0, _hello));
        Add(client);
        try
        {
            var sending = client.SendAllAsync(context.RequestAborted);
            await client.ReceiveUntilClosedAsync(context.RequestAborted).ConfigureAwait(false);
            client.Queue.Writer.TryComplete();
            await sending.ConfigureAwait(false);
        }
        finally
        {
            Remove(client);
            client.Queue.Writer.TryComplete();
        }
    }

    private void Add(Client client)
    {
        lock (_lock)
        {
            _clients = [.. _clients, client];
        }
    }

    private void Remove(Client client)
    {
        lock (_lock)
        {
            _clients = Array.FindAll(_clients, c => c != client);
        }
    }

    private sealed class Client(WebSocket socket, PreviewServer server)
    {
        private readonly byte[] _header = new byte[FrameHeaderBytes];

        public Channel<PreviewMessage> Queue { get; } = Channel.CreateBounded<PreviewMessage>(
            new BoundedChannelOptions(ClientQueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref server._dropped));

        public async Task SendAllAsync(CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var message in Queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (message.Binary)
                    {
                        BinaryPrimitives.WriteInt64LittleEndian(_header, message.Sequence);
                        BinaryPrimitives.WriteInt64LittleEndian(_header.AsSpan(8), message.FrameIndex);
                        await socket.SendAsync(_header, WebSocketMessageType.Binary, endOfMessage: false, cancellationToken).ConfigureAwait(false);
                        await socket.SendAsync(message.Payload, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await socket.SendAsync(message.Payload, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (socket.State == WebSocketState.Open)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "preview ended", cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The browser went away mid-send: its tab closed. Nothing to tell anyone.
            }
        }

        /// <summary>The page sends nothing; reading only notices the close (or the dead connection).</summary>
        public async Task ReceiveUntilClosedAsync(CancellationToken cancellationToken)
        {
            var buffer = new byte[256];
            try
            {
                while (socket.State == WebSocketState.Open)
                {
                    var result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Closed without a handshake: the same as a close.
            }
        }
    }

    /// <summary>A host lifetime that leaves process signals alone.</summary>
    private sealed class PassiveLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
