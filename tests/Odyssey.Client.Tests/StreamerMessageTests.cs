using System.Collections.Concurrent;

namespace Odyssey.Client.Tests;

/// <summary>§5: the <c>streamerToClient</c> messages and their events, without a connection.</summary>
public sealed class StreamerMessageTests : IAsyncLifetime
{
    private readonly OdysseyClient _client = new(new ClientConfig { ApiKey = "ody_x", ApiUrl = "http://127.0.0.1:9" });
    private readonly ConcurrentQueue<string> _events = new();

    public Task InitializeAsync()
    {
        _client.UseHandlers(new OdysseyEventHandlers
        {
            OnStreamStarted = id => _events.Enqueue($"started:{id}"),
            OnStreamEnded = () => _events.Enqueue("ended"),
            OnInteractAcknowledged = p => _events.Enqueue($"ack:{p}"),
            OnStreamError = (r, m) => _events.Enqueue($"stream-error:{r}:{m}"),
            OnBroadcastReady = b => _events.Enqueue($"broadcast:{b.HlsUrl}|{b.WebRtcUrl}|{b.SpectatorToken.Length}"),
            OnError = (e, fatal) => _events.Enqueue($"error:{fatal}:{e.Message}"),
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    [Fact]
    public void StreamStarted_WithAppliedPrompt_SetsStreamIdAndLastAppliedPrompt()
    {
        _client.HandleStreamerMessage("""{"type":"stream_started","stream_id":"st-9","applied_prompt":"a cat, cinematic"}""");
        _client.HandleStreamerMessage("""{"type":"update_acknowledged","prompt":"it jumps"}""");
        _client.HandleStreamerMessage("""{"type":"stream_ended"}""");

        Assert.Equal("st-9", _client.StreamId);
        Assert.Equal("it jumps", _client.LastAppliedPrompt);
        Assert.Equal(["started:st-9", "ack:it jumps", "ended"], _events);
    }

    [Fact]
    public void StreamError_WithoutFields_UsesTheDocumentedDefaults()
    {
        _client.HandleStreamerMessage("""{"type":"interactive_stream_error"}""");
        Assert.Equal(["stream-error:unknown:Stream error occurred"], _events);
    }

    [Fact]
    public void BroadcastReady_Complete_RaisesBroadcastInfo()
    {
        _client.HandleStreamerMessage("""{"type":"broadcast_ready","broadcast_url":null,"webrtc_url":"https://b/x","spectator_token":"spec-token"}""");
        Assert.Equal(["broadcast:|https://b/x|10"], _events);
    }

    [Theory]
    [InlineData("""{"type":"broadcast_ready","broadcast_url":"https://hls","spectator_token":"t"}""")]
    [InlineData("""{"type":"broadcast_ready","webrtc_url":"https://b/x"}""")]
    public void BroadcastReady_Incomplete_IsABroadcastStreamError(string message)
    {
        _client.HandleStreamerMessage(message);
        Assert.Equal(["stream-error:broadcast_error:Broadcast setup incomplete: missing playback URL or token"], _events);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{"no_type":1}""")]
    [InlineData("""{"type":"stream_started"}""")]
    public void Malformed_IsANonFatalError(string message)
    {
        _client.HandleStreamerMessage(message);
        Assert.StartsWith("error:False:", Assert.Single(_events));
    }

    [Fact]
    public void UnknownType_IsIgnored()
    {
        _client.HandleStreamerMessage("""{"type":"something_new","x":1}""");
        Assert.Empty(_events);
    }
}

public sealed class StartTransportTests
{
    [Theory]
    [InlineData(true, true, 100, 65536, false)]     // an image always goes over signalling
    [InlineData(false, true, 100, 65536, true)]     // small, channel open: data channel
    [InlineData(false, true, 65536, 65536, true)]   // exactly the limit still fits
    [InlineData(false, true, 65537, 65536, false)]  // over the limit: signalling
    [InlineData(false, false, 100, 65536, false)]   // channel not open: signalling
    public void StartGoesOnChannel_FollowsSection5(bool image, bool open, long bytes, long max, bool onChannel) =>
        Assert.Equal(onChannel, OdysseyClient.StartGoesOnChannel(image, open, bytes, max));
}

public sealed class DebugLoggingTests
{
    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public async Task Debug_Flag_DecidesWhetherDebugMessagesAreEmitted(bool debug, int expected)
    {
        var logs = new Fakes.CapturingLoggerFactory();
        await using var client = new OdysseyClient(new ClientConfig { ApiKey = "ody_x", ApiUrl = "http://127.0.0.1:9", Debug = debug, LoggerFactory = logs });

        client.HandleStreamerMessage("""{"type":"stream_ended"}"""); // logs "received stream_ended" at Debug

        Assert.Equal(expected, logs.Lines.Count(l => l.StartsWith("Debug:", StringComparison.Ordinal)));
    }
}
