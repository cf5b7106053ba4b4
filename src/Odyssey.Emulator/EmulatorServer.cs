using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Odyssey.Emulator.Api;
using Odyssey.Emulator.Broadcast;
using Odyssey.Emulator.Signaling;
using Odyssey.Emulator.Simulations;

namespace Odyssey.Emulator;

/// <summary>
/// A running Odyssey emulator: the HTTP API, the signalling WebSocket and a WebRTC streamer per session
/// (PROTOCOL.md, server side), on one port. Start it in-process with <see cref="StartAsync"/>; point a
/// client's API URL at <see cref="ApiUrl"/> with <see cref="ApiKey"/>; dispose to stop (live sessions end,
/// recordings are finished, a temporary recordings directory is deleted).
/// </summary>
public sealed class EmulatorServer : IAsyncDisposable
{
    /// <summary>How long disposal lets open requests and sockets finish before they are cut.</summary>
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(3);

    private readonly WebApplication _app;
    private readonly EmulatorContext _context;
    private readonly string? _temporaryDirectory;
    private bool _disposed;

    private EmulatorServer(WebApplication app, EmulatorContext context, string? temporaryDirectory)
    {
        _app = app;
        _context = context;
        _temporaryDirectory = temporaryDirectory;
    }

    /// <summary>The API base URL, e.g. <c>http://127.0.0.1:41234</c>; signalling is the same host as <c>ws://</c>.</summary>
    public Uri ApiUrl => new(_context.ApiUrl);

    /// <summary>The API key this emulator accepts.</summary>
    public string ApiKey => _context.Options.ApiKey;

    /// <summary>The options it runs with.</summary>
    public EmulatorOptions Options => _context.Options;

    /// <summary>Where recordings are written.</summary>
    public string RecordingsDirectory => _context.Recordings.Directory;

    /// <summary>Telemetry events received on <c>POST /telemetry</c> (PROTOCOL.md §7), oldest first; copies.</summary>
    public IReadOnlyList<System.Text.Json.Nodes.JsonObject> TelemetryEvents =>
        _context.TelemetryEvents.Select(e => (System.Text.Json.Nodes.JsonObject)e.DeepClone()).ToList();

    /// <summary>WHEP spectator sessions answered so far (PROTOCOL.md §7).</summary>
    public int SpectatorsAnswered => _context.Broadcasts.AnsweredSessions.Count;

    /// <summary>WHEP spectator sessions that left with DELETE on their Location so far.</summary>
    public int SpectatorsLeft => _context.Broadcasts.DeletedSessions.Count;

    /// <summary>Sessions holding a streamer now.</summary>
    public int ActiveSessions => _context.Sessions.ActiveSessions;

    /// <summary>Starts listening; returns once the port is bound.</summary>
    /// <exception cref="ArgumentException">An option is invalid (e.g. a non-loopback host without <see cref="EmulatorOptions.AllowRemoteBinding"/>).</exception>
    public static async Task<EmulatorServer> StartAsync(EmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmulatorOptions();
        options.Validate();
        var temporary = options.RecordingsDirectory is null ? Directory.CreateTempSubdirectory("odyssey-emulator-").FullName : null;
        var context = new EmulatorContext(options, TimeProvider.System, options.RecordingsDirectory ?? temporary!);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.Host, options.Port);
            kestrel.Limits.MaxRequestBodySize = SignalingEndpoint.MaxMessageBytes;
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownGrace);
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        ApiEndpoints.Map(app, context);
        SimulationEndpoints.Map(app, context);
        SignalingEndpoint.Map(app, context);
        Broadcasts.Map(app, context.Broadcasts);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            if (temporary is not null)
            {
                Directory.Delete(temporary, recursive: true);
            }

            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        var host = options.Host.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{options.Host}]" : options.Host.ToString();
        if (options.Host.Equals(IPAddress.Any))
        {
            host = IPAddress.Loopback.ToString(); // reachable from here; remote clients use the machine's name
        }

        context.ApiUrl = $"http://{host}:{port}";
        context.Log($"emulator listening on {context.ApiUrl} ({options.StreamerCount} streamers, {options.Codec}, {options.Width}x{options.Height} @ {options.Fps} fps)");
        return new EmulatorServer(app, context, temporary);
    }

    /// <summary>
    /// When frame <paramref name="frameIndex"/> (the index stamped in the picture) of <paramref name="sessionId"/>
    /// was handed to the network: with the receive time, the one-way latency. Kept for the last
    /// few thousand frames of each session.
    /// </summary>
    public bool TryGetFrameSendTime(string sessionId, long frameIndex, out DateTimeOffset sentAt)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        sentAt = default;
        return _context.FrameTimes.TryGetValue(sessionId, out var times) && times.TryGet(frameIndex, out sentAt);
    }

    /// <summary>Stops: sessions end (their recordings are finished), the port is released.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        using (var grace = new CancellationTokenSource(ShutdownGrace))
        {
            try
            {
                await _app.StopAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _app.DisposeAsync();
        if (_temporaryDirectory is not null)
        {
            try
            {
                Directory.Delete(_temporaryDirectory, recursive: true);
            }
            catch (IOException)
            {
                // a recording still open by a reader; the OS's temp cleaning gets it
            }
        }
    }
}
