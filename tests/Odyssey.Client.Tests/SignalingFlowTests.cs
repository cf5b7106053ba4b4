using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using Odyssey.Client.Tests.Fakes;
using Odyssey.Media;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;

namespace Odyssey.Client.Tests;

/// <summary>§3–§4 and §8 against a fake signalling server on 127.0.0.1 (and, for WebRTC, our own peer as the streamer).</summary>
public sealed class SignalingFlowTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private FakeOdyssey _fake = null!;
    private readonly RecordingClock _clock = new();
    private readonly ConcurrentQueue<(ConnectionStatus Status, string? Message)> _statuses = new();
    private readonly ConcurrentQueue<(OdysseyError Error, bool Fatal)> _errors = new();
    private readonly ConcurrentQueue<JsonElement> _received = new();
    private int _sockets;
    private int _disconnected;

    public async Task InitializeAsync() => _fake = await FakeOdyssey.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private static PeerConnectionOptions Loopback => new() { Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false } };

    private OdysseyClient Client(int retries = 0, CapturingLoggerFactory? logs = null, bool dev = false) => new(new ClientConfig
    {
        ApiKey = FakeOdyssey.ApiKey,
        ApiUrl = _fake.Url,
        TimeProvider = _clock,
        LoggerFactory = logs,
        Debug = true,
        Dev = dev ? new DevConfig { SignalingUrl = _fake.Url, SessionId = "dev-session" } : null,
        Advanced = new AdvancedConfig { MaxRetries = retries, PeerConnection = Loopback },
    });

    private OdysseyEventHandlers Handlers => new()
    {
        OnStatusChange = (s, m) => _statuses.Enqueue((s, m)),
        OnError = (e, f) => _errors.Enqueue((e, f)),
        OnDisconnected = () => Interlocked.Increment(ref _disconnected),
    };

    /// <summary>Accepts the socket, runs <paramref name="script"/>, then records what the client sends until it closes.</summary>
    private void Serve(Func<WebSocket, Task> script) => _fake.Signaling = async (socket, _) =>
    {
        Interlocked.Increment(ref _sockets);
        await script(socket);
        using var cancel = new CancellationTokenSource(Timeout);
        try
        {
            while (await SignalSocket.ReceiveAsync(socket, cancel.Token) is { } message)
            {
                _received.Enqueue(message);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
    };

    [Theory]
    [InlineData("streamer_not_available", "Streamer not available. Please ensure the streamer is running.")]
    [InlineData("duration_limit_reached", "Connection exceeded maximum allowed duration.")]
    [InlineData("weird", "Server error: weird")]
    public async Task Connect_SignalingErrorMessage_FatalConnectionErrorNotRetried(string reason, string message)
    {
        Serve(socket => SignalSocket.SendAsync(socket, new { type = "error", reason }));
        await using var client = Client(retries: 3);

        var error = await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync(Handlers).WaitAsync(Timeout));

        Assert.Equal(message, error.Message);
        Assert.Equal(reason, error.Reason);
        Assert.Equal(1, _sockets);
        Assert.Equal(ConnectionStatus.Failed, client.Status);
        Assert.Equal(
            [ConnectionStatus.Authenticating, ConnectionStatus.Connecting, ConnectionStatus.Failed],
            _statuses.Select(s => s.Status));
        Assert.Equal("Connecting to signaling server...", _statuses.ElementAt(1).Message);
        Assert.True(Assert.Single(_errors).Fatal);
    }

    [Fact]
    public async Task Connect_SocketClosedBeforeReady_RetriedWithBackoffThenFails()
    {
        Serve(socket => socket.CloseAsync(WebSocketCloseStatus.InternalServerError, "streamer busy", CancellationToken.None));
        await using var client = Client(retries: 2);

        var connect = client.ConnectAsync(Handlers);
        await _clock.AdvanceWhenScheduledAsync(TimeSpan.FromSeconds(1)); // §8: min(1 s × 2^0, 2 s)
        await _clock.AdvanceWhenScheduledAsync(TimeSpan.FromSeconds(2)); // min(1 s × 2^1, 2 s)
        var error = await Assert.ThrowsAsync<OdysseyConnectionError>(() => connect.WaitAsync(Timeout));

        Assert.Equal(3, _sockets);
        Assert.Contains("streamer busy", error.Message);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], _clock.Timers.Where(t => t < TimeSpan.FromSeconds(10)));
        Assert.Equal(ConnectionStatus.Failed, client.Status);
        Assert.Equal(3, _fake.Count("GET /config")); // §2 7a: ICE servers refetched each attempt
        Assert.Equal(1, _fake.Count("POST /sessions/token")); // fetched once; retries reuse it
    }

    [Fact]
    public async Task Connect_WhileConnecting_SecondCallRejectedCleanly()
    {
        var release = new TaskCompletionSource();
        _fake.Routes["POST /sessions/request"] = async ctx =>
        {
            await release.Task;
            ctx.Response.StatusCode = 500;
        };
        await using var client = Client();

        var first = client.ConnectAsync(Handlers);
        await Eventually.WaitAsync(() => _fake.Count("POST /sessions/request") == 1, "the first connect to reach the queue");
        var second = await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync());
        release.SetResult();
        await Assert.ThrowsAsync<OdysseyConnectionError>(() => first.WaitAsync(Timeout));

        Assert.Equal("Already authenticating", second.Message);
        Assert.Equal(1, _fake.Count("POST /auth/token"));
    }

    [Fact]
    public async Task Connect_StreamerOffersVideo_AnswerTrickleKeepaliveThenWaitsForTheDataChannel()
    {
        var streamerConnected = new TaskCompletionSource();
        string? path = null;
        _fake.Signaling = async (socket, ctx) =>
        {
            Interlocked.Increment(ref _sockets);
            path = ctx.Request.Path + ctx.Request.QueryString;
            using var sendGate = new SemaphoreSlim(1, 1);
            async Task Send(object message)
            {
                await sendGate.WaitAsync();
                try
                {
                    await SignalSocket.SendAsync(socket, message);
                }
                finally
                {
                    sendGate.Release();
                }
            }

            await using var peer = new PeerConnection(Loopback);
            peer.ConnectionStateChanged += s =>
            {
                if (s == PeerConnectionState.Connected)
                {
                    streamerConnected.TrySetResult();
                }
            };

            // Trickled without the "candidate:" prefix, and possibly before the offer: the client must cope with both.
            peer.LocalCandidate += c => _ = Send(new { type = "ice_candidate", candidate = c.Candidate["candidate:".Length..], sdpMid = c.SdpMid, sdpMLineIndex = c.SdpMLineIndex });
            var offer = await peer.CreateOfferAsync();
            await peer.SetLocalDescriptionAsync(offer);
            await Send(new { type = "offer", sdp = offer.Sdp });
            using var cancel = new CancellationTokenSource(Timeout);
            try
            {
                while (await SignalSocket.ReceiveAsync(socket, cancel.Token) is { } message)
                {
                    _received.Enqueue(message);
                    var type = message.GetProperty("type").GetString();
                    if (type == "answer")
                    {
                        await peer.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Answer, message.GetProperty("sdp").GetString()!));
                    }
                    else if (type == "ice_candidate")
                    {
                        peer.AddRemoteIceCandidate(message.GetProperty("candidate").GetString()!, message.GetProperty("sdpMid").GetString());
                    }
                }
            }
            catch (WebSocketException)
            {
            }
        };
        await using var client = Client();
        var connect = client.ConnectAsync(Handlers);

        await streamerConnected.Task.WaitAsync(Timeout);
        await _clock.AdvanceWhenScheduledAsync(TimeSpan.FromSeconds(10)); // the first keepalive is due 10 s after open
        await Eventually.WaitAsync(() => _received.Any(m => m.GetProperty("type").GetString() == "keepalive"), "a keepalive after 10 s");
        await Eventually.WaitAsync(() => _clock.Timers.Contains(TimeSpan.FromSeconds(30)), "the 30 s ready timeout");
        _clock.Advance(TimeSpan.FromSeconds(20)); // the rest of §2 step 8's 30 s ready timeout

        var error = await Assert.ThrowsAsync<OdysseyConnectionError>(() => connect.WaitAsync(Timeout));
        Assert.Equal("Connection timed out waiting for: data_channel", error.Message);
        Assert.Equal($"/client/{FakeOdyssey.SessionId}?token={Uri.EscapeDataString(_fake.SessionToken)}", path);
        await Eventually.WaitAsync(() => _received.Any(m => m.GetProperty("type").GetString() == "client_disconnecting"), "client_disconnecting");
        var types = _received.Select(m => m.GetProperty("type").GetString()).ToList();
        Assert.Equal("answer", types[0]);
        Assert.Contains("a=candidate:", _received.First().GetProperty("sdp").GetString()); // candidates gathered in time ride in the answer
        Assert.Equal("client_disconnecting", types[^1]); // §3: said goodbye before closing
        Assert.Equal(ConnectionStatus.Failed, client.Status);
        Assert.Equal(0, _disconnected); // never connected, so no disconnect event
    }

    [Fact]
    public async Task Session_WholeFailedConnect_LogsAndErrorsNeverContainKeyOrTokens()
    {
        var logs = new CapturingLoggerFactory();
        _fake.Routes["GET /config"] = ctx => FakeOdyssey.Json(ctx, 200, new { iceServers = new object[] { new { urls = "turn:turn.example:3478", username = "u", credential = "turn-credential-secret" } } });
        Serve(socket => SignalSocket.SendAsync(socket, new { type = "error", reason = "streamer_disconnected" }));
        await using var client = Client(logs: logs);

        var error = await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync(Handlers).WaitAsync(Timeout));
        await client.DisconnectAsync();

        var text = string.Join("\n", logs.Lines) + "\n" + error + "\n" + string.Join("\n", _errors.Select(e => e.Error.ToString()));
        Assert.NotEmpty(logs.Lines);
        Assert.Contains("Streamer has disconnected.", text);
        foreach (var secret in new[] { FakeOdyssey.ApiKey, FakeOdyssey.AccessToken, _fake.SessionToken, Uri.EscapeDataString(_fake.SessionToken), "turn-credential-secret" })
        {
            Assert.DoesNotContain(secret, text);
        }
    }

    [Fact]
    public async Task Connect_DevConfig_SkipsTheApiAndOpensSignallingDirectly()
    {
        string? path = null;
        _fake.Signaling = async (socket, ctx) =>
        {
            path = ctx.Request.Path;
            await SignalSocket.SendAsync(socket, new { type = "error", reason = "streamer_not_available" });
            await Task.Delay(100);
        };
        await using var client = Client(dev: true);

        await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync(Handlers).WaitAsync(Timeout));

        Assert.Equal("/client/dev-session", path);
        Assert.Equal(0, _fake.Count("POST /auth/token"));
        Assert.Equal("dev-session", client.SessionId);
        Assert.Equal([ConnectionStatus.Connecting, ConnectionStatus.Failed], _statuses.Select(s => s.Status));
    }

    [Fact]
    public async Task StreamCalls_NotConnected_StreamErrorNamesTheStatus()
    {
        await using var client = Client();
        var start = await Assert.ThrowsAsync<OdysseyStreamError>(() => client.StartStreamAsync("a cat"));
        var interact = await Assert.ThrowsAsync<OdysseyStreamError>(() => client.InteractAsync("jump"));
        var end = await Assert.ThrowsAsync<OdysseyStreamError>(() => client.EndStreamAsync());

        Assert.Equal("Cannot start stream: client is disconnected, expected connected", start.Message);
        Assert.Equal("Cannot interact: client is disconnected, expected connected", interact.Message);
        Assert.Equal("Cannot end stream: client is disconnected, expected connected", end.Message);
    }
}
