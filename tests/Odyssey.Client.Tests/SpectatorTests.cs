using Odyssey.Emulator;
using Odyssey.Media;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;

namespace Odyssey.Client.Tests;

/// <summary>§7 spectator playback (WHEP) end to end: a broadcasting client and a spectator on one emulator.</summary>
public sealed class SpectatorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static PeerConnectionOptions Loopback() => new() { Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false } };

    private static OdysseyClient Broadcaster(EmulatorServer emulator) => new(new ClientConfig
    {
        ApiKey = emulator.ApiKey,
        ApiUrl = emulator.ApiUrl.ToString(),
        Advanced = new AdvancedConfig { MaxRetries = 0, PeerConnection = Loopback() },
    });

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    public async Task Spectator_OfBroadcastStream_DecodesTheWorldAndDeletesOnLeave(VideoCodec codec)
    {
        await using var emulator = await EmulatorServer.StartAsync(new EmulatorOptions { Width = 320, Height = 176, BitrateKbps = 300, Codec = codec });
        await using var client = Broadcaster(emulator);
        using var cancel = new CancellationTokenSource(Timeout);
        var ready = new TaskCompletionSource<BroadcastInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.ConnectAsync(new OdysseyEventHandlers { OnBroadcastReady = info => ready.TrySetResult(info) }, cancel.Token);

        var streamId = await client.StartStreamAsync("a lighthouse", portrait: false, broadcast: true, cancellationToken: cancel.Token);
        var info = await ready.Task.WaitAsync(cancel.Token);
        Assert.Null(info.HlsUrl);
        Assert.EndsWith("/broadcast/" + streamId, info.WebRtcUrl, StringComparison.Ordinal);

        var spectator = await OdysseyClient.ConnectToStreamAsync(info.WebRtcUrl, info.SpectatorToken, new SpectatorOptions { PeerConnection = Loopback() }, cancel.Token);
        Assert.True(spectator.IsConnected);
        Assert.Equal(PeerConnectionState.Connected, spectator.ConnectionState);
        Assert.Equal(1, emulator.SpectatorsAnswered);

        // The same world: landscape pictures of the emulator's size carrying its frame indices, in order.
        var indices = new List<long>();
        await foreach (var frame in spectator.ReadFramesAsync(cancel.Token))
        {
            try
            {
                Assert.Equal((320, 176, PixelFormat.Rgb24), (frame.Width, frame.Height, frame.Format));
                if (FrameIndexCode.TryRead(frame, out var index))
                {
                    indices.Add(index);
                }
            }
            finally
            {
                frame.Release();
            }

            if (indices.Count == 10)
            {
                break;
            }
        }

        Assert.Equal(indices.Order(), indices);
        Assert.Equal(0, emulator.SpectatorsLeft);

        await spectator.DisposeAsync();
        Assert.False(spectator.IsConnected);
        Assert.Equal(1, emulator.SpectatorsLeft);
        await client.EndStreamAsync(cancel.Token);
    }

    [Fact]
    public async Task Spectator_WrongToken_AuthErrorAndNoSession()
    {
        await using var emulator = await EmulatorServer.StartAsync(new EmulatorOptions { Width = 320, Height = 176, BitrateKbps = 300 });
        await using var client = Broadcaster(emulator);
        using var cancel = new CancellationTokenSource(Timeout);
        var ready = new TaskCompletionSource<BroadcastInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.ConnectAsync(new OdysseyEventHandlers { OnBroadcastReady = info => ready.TrySetResult(info) }, cancel.Token);
        await client.StartStreamAsync("p", broadcast: true, cancellationToken: cancel.Token);
        var info = await ready.Task.WaitAsync(cancel.Token);

        var error = await Assert.ThrowsAsync<OdysseyAuthError>(() => OdysseyClient.ConnectToStreamAsync(info.WebRtcUrl, "spec_wrong_token", new SpectatorOptions { PeerConnection = Loopback() }, cancel.Token));

        Assert.Equal("Invalid spectator token", error.Message);
        Assert.Equal(0, emulator.SpectatorsAnswered);
    }

    [Fact]
    public async Task Spectator_UnknownStream_StreamError()
    {
        await using var emulator = await EmulatorServer.StartAsync(new EmulatorOptions { Width = 320, Height = 176 });
        using var cancel = new CancellationTokenSource(Timeout);

        var error = await Assert.ThrowsAsync<OdysseyStreamError>(() => OdysseyClient.ConnectToStreamAsync(emulator.ApiUrl + "broadcast/stream_none", "spec_token", new SpectatorOptions { PeerConnection = Loopback() }, cancel.Token));

        Assert.Equal("Stream not found", error.Message);
    }

    [Theory]
    [InlineData("ftp://example/x")]
    [InlineData("not a url")]
    public async Task Spectator_BadUrl_ArgumentException(string url) =>
        await Assert.ThrowsAsync<ArgumentException>(() => OdysseyClient.ConnectToStreamAsync(url, "spec_token"));
}
