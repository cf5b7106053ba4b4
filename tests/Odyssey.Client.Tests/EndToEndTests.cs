using System.Collections.Concurrent;
using Odyssey.Client.Tests.Fakes;
using Odyssey.Emulator;
using Odyssey.Media;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;
using Xunit.Abstractions;

namespace Odyssey.Client.Tests;

/// <summary>The client against the Odyssey emulator over real sockets on loopback: the whole flow and the §9 faults.</summary>
public sealed class EndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static EmulatorOptions Emulator(Func<EmulatorOptions, EmulatorOptions>? edit = null)
    {
        var options = new EmulatorOptions { Width = 320, Height = 176, Fps = 30, BitrateKbps = 500 };
        return edit is null ? options : edit(options);
    }

    private OdysseyClient Client(EmulatorServer emulator, ConcurrentQueue<string>? events = null) => new(new ClientConfig
    {
        ApiKey = emulator.ApiKey,
        ApiUrl = emulator.ApiUrl.ToString(),
        Advanced = new AdvancedConfig
        {
            MaxRetries = 0,
            PeerConnection = new PeerConnectionOptions { Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false } },
            FrameQueueCapacity = 512,
        },
    });

    private static OdysseyEventHandlers Record(ConcurrentQueue<string> events) => new()
    {
        OnConnected = () => events.Enqueue("connected"),
        OnDisconnected = () => events.Enqueue("disconnected"),
        OnStreamStarted = id => events.Enqueue("started"),
        OnStreamEnded = () => events.Enqueue("ended"),
        OnInteractAcknowledged = p => events.Enqueue("ack:" + p),
        OnStreamError = (r, m) => events.Enqueue($"stream-error:{r}"),
        OnError = (e, fatal) => events.Enqueue($"error:{fatal}:{e.GetType().Name}"),
        OnStatusChange = (s, _) => events.Enqueue("status:" + OdysseyClient.StatusText(s)),
    };

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    public async Task WholeFlow_ConnectStartInteractEnd_FramesInOrderEventsInOrderRecordingListed(VideoCodec codec)
    {
        await using var emulator = await EmulatorServer.StartAsync(Emulator(o => o with { Codec = codec }));
        var events = new ConcurrentQueue<string>();
        await using var client = Client(emulator);
        using var cancel = new CancellationTokenSource(Timeout);

        await client.ConnectAsync(Record(events), cancel.Token);
        Assert.Equal(ConnectionStatus.Connected, client.Status);
        Assert.Equal(PeerConnectionState.Connected, client.ConnectionState);
        var indices = new List<long>();
        var decoded = 0;
        var reader = Task.Run(async () =>
        {
            await foreach (var frame in client.ReadFramesAsync(cancel.Token))
            {
                try
                {
                    Assert.Equal(PixelFormat.Rgb24, frame.Format);
                    decoded++;
                    if (FrameIndexCode.TryRead(frame, out var index))
                    {
                        lock (indices)
                        {
                            indices.Add(index);
                        }
                    }
                }
                finally
                {
                    frame.Release();
                }
            }
        });

        var encoded = new List<(VideoCodec Codec, long Index)>();
        var encodedReader = Task.Run(async () =>
        {
            await foreach (var packet in client.ReadEncodedFramesAsync(cancel.Token))
            {
                lock (encoded)
                {
                    encoded.Add((packet.Codec, packet.Index));
                }

                packet.Release();
            }
        });

        var streamId = await client.StartStreamAsync("a quiet forest", portrait: false, cancellationToken: cancel.Token);
        Assert.False(string.IsNullOrEmpty(streamId));
        Assert.Equal(streamId, client.StreamId);
        foreach (var prompt in new[] { "it starts to rain", "a deer walks by", "night falls" })
        {
            Assert.Equal(prompt, await client.InteractAsync(prompt, cancel.Token));
            Assert.Equal(prompt, client.LastAppliedPrompt);
        }

        await Eventually.WaitAsync(() => { lock (indices) { return indices.Count >= 20; } }, "20 stamped frames decoded");
        await client.EndStreamAsync(cancel.Token);
        await client.DisconnectAsync();
        Assert.Equal(ConnectionStatus.Disconnected, client.Status);

        List<long> seen;
        lock (indices)
        {
            seen = [.. indices];
        }

        output.WriteLine($"decoded {decoded} frames, {seen.Count} stamped, first {seen[0]}, last {seen[^1]}, dropped {client.DroppedFrames}");
        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i] > seen[i - 1], $"frame {seen[i]} after {seen[i - 1]}: out of order");
        }

        Assert.Equal(0, client.DroppedFrames);
        lock (encoded)
        {
            Assert.NotEmpty(encoded);
            Assert.All(encoded, e => Assert.Equal(codec, e.Codec));
            Assert.Equal(encoded.Select(e => e.Index).Order(), encoded.Select(e => e.Index));
        }

        var order = events.Where(e => !e.StartsWith("status:", StringComparison.Ordinal)).ToList();
        Assert.Equal(["connected", "started", "ack:it starts to rain", "ack:a deer walks by", "ack:night falls", "ended", "disconnected"], order);
        Assert.Equal(
            ["status:authenticating", "status:connecting", "status:connected", "status:disconnected"],
            events.Where(e => e.StartsWith("status:", StringComparison.Ordinal)));

        // Recordings need only the API key, and list the stream once it ended.
        await Eventually.WaitAsync(() => client.ListStreamRecordingsAsync().Result.Recordings.Any(r => r.StreamId == streamId), "the stream's recording");
        var recording = await client.GetRecordingAsync(streamId, cancel.Token);
        Assert.Equal(streamId, recording.StreamId);
        Assert.NotNull(recording.VideoUrl);
    }
}

/// <summary>Keeps the token fields of every API response, so a test knows the secrets it must not find in logs.</summary>
internal sealed class TokenSniffer() : DelegatingHandler(new HttpClientHandler())
{
    public ConcurrentQueue<string> Tokens { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (body.StartsWith('{'))
        {
            using var document = System.Text.Json.JsonDocument.Parse(body);
            foreach (var name in new[] { "access_token", "session_token" })
            {
                if (document.RootElement.TryGetProperty(name, out var token))
                {
                    Tokens.Enqueue(token.GetString()!);
                }
            }
        }

        response.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        return response;
    }
}

public sealed class EndToEndLogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task WholeSession_DebugLogs_NeverContainKeyOrTokens()
    {
        await using var emulator = await EmulatorServer.StartAsync(new EmulatorOptions { Width = 320, Height = 176, BitrateKbps = 300 });
        var logs = new CapturingLoggerFactory();
        var sniffer = new TokenSniffer();
        using var http = new HttpClient(sniffer);
        var errors = new ConcurrentQueue<string>();
        await using var client = new OdysseyClient(new ClientConfig
        {
            ApiKey = emulator.ApiKey,
            ApiUrl = emulator.ApiUrl.ToString(),
            Debug = true,
            LoggerFactory = logs,
            HttpClient = http,
            Advanced = new AdvancedConfig { PeerConnection = new PeerConnectionOptions { Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false } } },
        });
        using var cancel = new CancellationTokenSource(Timeout);

        await client.ConnectAsync(new OdysseyEventHandlers { OnError = (e, _) => errors.Enqueue(e.ToString()) }, cancel.Token);

        // A start with an image travels over the signalling socket (§5), the next over the data channel.
        var withImage = await client.StartStreamAsync("a lighthouse", image: OdysseyImage.FromBytes(TestImages.GreyJpeg(64, 48)), cancellationToken: cancel.Token);
        await client.InteractAsync("storm clouds", cancel.Token);
        await client.EndStreamAsync(cancel.Token);
        var plain = await client.StartStreamAsync("a meadow", cancellationToken: cancel.Token);
        await client.EndStreamAsync(cancel.Token);
        await client.ListStreamRecordingsAsync(cancellationToken: cancel.Token);

        Assert.NotEqual(withImage, plain);
        Assert.Equal(1, logs.Lines.Count(l => l.Contains("Odyssey signalling: sent interactive_stream_start", StringComparison.Ordinal)));
        await client.DisconnectAsync();
        Assert.Equal(2, sniffer.Tokens.Count); // one access token (reused), one session token
        var text = string.Join("\n", logs.Lines) + string.Join("\n", errors);
        Assert.Contains(logs.Lines, l => l.Contains("Odyssey signalling: sent answer", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("Odyssey signalling: sent interactive_stream_start", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("Odyssey data channel: sent interactive_stream_start", StringComparison.Ordinal));
        foreach (var secret in sniffer.Tokens.Append(emulator.ApiKey).SelectMany(t => new[] { t, Uri.EscapeDataString(t) }))
        {
            Assert.DoesNotContain(secret, text);
        }
    }
}

/// <summary>Each §9 condition produced by the emulator's fault options: the typed error and the status path.</summary>
public sealed class EndToEndFaultTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static EmulatorOptions Small => new() { Width = 320, Height = 176, BitrateKbps = 300 };

    private static OdysseyClient Client(EmulatorServer emulator, string? apiKey = null) => new(new ClientConfig
    {
        ApiKey = apiKey ?? emulator.ApiKey,
        ApiUrl = emulator.ApiUrl.ToString(),
        Advanced = new AdvancedConfig
        {
            MaxRetries = 0,
            QueueTimeout = TimeSpan.Zero,
            PeerConnection = new PeerConnectionOptions { Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false } },
        },
    });

    [Theory]
    [InlineData(UsageErrorCode.MonthlyLimitReached, typeof(MonthlyLimitReachedError))]
    [InlineData(UsageErrorCode.ConcurrentLimitReached, typeof(ConcurrentLimitReachedError))]
    [InlineData(UsageErrorCode.StreamDurationExceeded, typeof(StreamDurationExceededError))]
    [InlineData(UsageErrorCode.AccountSuspended, typeof(AccountSuspendedError))]
    [InlineData(UsageErrorCode.RateLimited, typeof(RateLimitError))]
    public async Task Connect_EmulatorForcesUsageError_TypedUsageErrorAndFailed(UsageErrorCode code, Type type)
    {
        await using var emulator = await EmulatorServer.StartAsync(Small with { ForcedUsageError = code });
        await using var client = Client(emulator);

        var error = await Assert.ThrowsAnyAsync<OdysseyUsageError>(() => client.ConnectAsync().WaitAsync(Timeout));

        Assert.IsType(type, error);
        Assert.False(string.IsNullOrEmpty(error.Code));
        Assert.Equal(ConnectionStatus.Failed, client.Status);
    }

    [Fact]
    public async Task Connect_WrongKeyAndDeniedKey_AuthErrors()
    {
        await using var emulator = await EmulatorServer.StartAsync(Small with { DeniedApiKeys = ["ody_denied_key_000"] });
        await using var wrong = Client(emulator, "ody_wrong_key_0000");
        await using var denied = Client(emulator, "ody_denied_key_000");

        var invalid = await Assert.ThrowsAsync<OdysseyAuthError>(() => wrong.ConnectAsync().WaitAsync(Timeout));
        var refused = await Assert.ThrowsAsync<OdysseyAuthError>(() => denied.ConnectAsync().WaitAsync(Timeout));

        Assert.Equal("Invalid API key", invalid.Message);
        Assert.Equal(403, refused.StatusCode);
    }

    [Fact]
    public async Task Connect_AllStreamersBusy_NoStreamersAvailable()
    {
        await using var emulator = await EmulatorServer.StartAsync(Small with { BusyResponsesBeforeAssign = 100 });
        await using var client = Client(emulator);

        var error = await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync().WaitAsync(Timeout));

        Assert.Equal("No streamers available. Please try again later.", error.Message);
    }

    [Theory]
    [InlineData("streamer_not_available", "Streamer not available. Please ensure the streamer is running.")]
    [InlineData("duration_limit_reached", "Connection exceeded maximum allowed duration.")]
    public async Task Connect_EmulatorSignalsError_ConnectionErrorWithMappedText(string reason, string message)
    {
        await using var emulator = await EmulatorServer.StartAsync(Small with { SignalingErrorReason = reason });
        await using var client = Client(emulator);

        var error = await Assert.ThrowsAsync<OdysseyConnectionError>(() => client.ConnectAsync().WaitAsync(Timeout));

        Assert.Equal(message, error.Message);
        Assert.Equal(ConnectionStatus.Failed, client.Status);
    }

    [Theory]
    [InlineData("quota_exceeded", typeof(MonthlyLimitReachedError))]
    [InlineData("concurrent_limit_exceeded", typeof(ConcurrentLimitReachedError))]
    [InlineData("lease_denied", typeof(OdysseyStreamError))]
    public async Task StartStream_EmulatorForcesStreamError_TypedErrorAndStreamErrorEvent(string reason, Type type)
    {
        await using var emulator = await EmulatorServer.StartAsync(Small with { ForcedStreamErrorReason = reason });
        await using var client = Client(emulator);
        var streamErrors = new ConcurrentQueue<string>();
        using var cancel = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(new OdysseyEventHandlers { OnStreamError = (r, _) => streamErrors.Enqueue(r) }, cancel.Token);

        var error = await Assert.ThrowsAnyAsync<OdysseyError>(() => client.StartStreamAsync("a cat", cancellationToken: cancel.Token));

        Assert.IsType(type, error);
        Assert.Equal([reason], streamErrors);
        Assert.Equal(ConnectionStatus.Connected, client.Status); // a stream error leaves the connection up
    }

    [Fact]
    public async Task Connection_EmulatorDropsIt_OnDisconnectedFiresAndStatusFailed()
    {
        await using var emulator = await EmulatorServer.StartAsync(Small with { DropConnectionAfter = TimeSpan.FromMilliseconds(200) });
        await using var client = Client(emulator);
        var disconnected = new TaskCompletionSource();
        var fatal = new ConcurrentQueue<OdysseyError>();
        using var cancel = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(
            new OdysseyEventHandlers
            {
                OnDisconnected = () => disconnected.TrySetResult(),
                OnError = (e, f) =>
                {
                    if (f)
                    {
                        fatal.Enqueue(e);
                    }
                },
            },
            cancel.Token);

        await client.StartStreamAsync("a cat", cancellationToken: cancel.Token);
        await disconnected.Task.WaitAsync(Timeout);

        Assert.Equal(ConnectionStatus.Failed, client.Status);
        Assert.IsType<OdysseyConnectionError>(Assert.Single(fatal));
        await Assert.ThrowsAsync<OdysseyStreamError>(() => client.InteractAsync("still there?"));
    }
}
