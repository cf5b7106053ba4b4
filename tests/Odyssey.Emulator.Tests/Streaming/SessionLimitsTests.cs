using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Odyssey.Emulator.Tests.Streaming;

/// <summary>Several sessions at once, the streamer count, and the limits and faults that end a connection.</summary>
[Collection(NetworkNamespaceCollection.Name)]
public sealed class SessionLimitsTests(ITestOutputHelper output)
{
    [Fact]
    public Task Sessions_FourAtOnce_EachGetsItsOwnStreamAndTheFifthGets503() =>
        NetworkNamespace.RunAsync<SessionLimitsTests>(nameof(Sessions_FourAtOnce_EachGetsItsOwnStreamAndTheFifthGets503), output, async () =>
        {
            await using var server = await EmulatorServer.StartAsync(StreamerPeerTests.SmallOptions(output) with { StreamerCount = 4, Width = 160, Height = 96 });
            var clients = Enumerable.Range(0, 4).Select(_ => new TestClient(server)).ToList();
            var peers = new List<ClientPeer>();
            try
            {
                peers.AddRange(await Task.WhenAll(clients.Select(ClientPeer.ConnectAsync)));
                await using (var fifth = new TestClient(server))
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, await fifth.RequestSessionAsync());
                }

                var started = await Task.WhenAll(peers.Select((peer, i) => peer.RequestAsync(new JsonObject { ["type"] = "interactive_stream_start", ["prompt"] = $"world {i}", ["portrait"] = false })));
                Assert.All(started, reply => Assert.Equal("stream_started", (string?)reply["type"]));
                Assert.Equal(4, started.Select(r => (string)r["stream_id"]!).Distinct().Count());
                Assert.Equal(["world 0", "world 1", "world 2", "world 3"], started.Select(r => (string)r["applied_prompt"]!));
                Assert.Equal(4, clients.Select(c => c.SessionId).Distinct().Count());

                var decoded = await Task.WhenAll(peers.Select(peer => peer.DecodeIndicesAsync(count: 10)));
                Assert.All(decoded, d => Assert.Equal((160, 96), d.Size));

                // One leaves (client_disconnecting): its streamer is free for the next request.
                await peers[0].DisposeAsync();
                await clients[0].DisposeAsync();
                await WaitUntilAsync(() => server.ActiveSessions == 3);
                await using var next = new TestClient(server);
                Assert.Equal(HttpStatusCode.OK, await next.RequestSessionAsync());
            }
            finally
            {
                foreach (var peer in peers.Skip(1))
                {
                    await peer.DisposeAsync();
                }

                foreach (var client in clients.Skip(1))
                {
                    await client.DisposeAsync();
                }
            }
        });

    [Fact]
    public Task StreamLimit_Passed_SessionTimeoutOnTheChannelThenANormalClose() =>
        NetworkNamespace.RunAsync<SessionLimitsTests>(nameof(StreamLimit_Passed_SessionTimeoutOnTheChannelThenANormalClose), output, async () =>
        {
            await using var server = await EmulatorServer.StartAsync(StreamerPeerTests.SmallOptions(output) with { MaxStreamDuration = TimeSpan.FromSeconds(1) });
            await using var client = new TestClient(server);
            await using var peer = await ClientPeer.ConnectAsync(client);
            var started = await peer.RequestAsync(new JsonObject { ["type"] = "interactive_stream_start", ["prompt"] = "short" });
            Assert.Equal("stream_started", (string?)started["type"]);

            var error = await peer.NextReplyAsync();
            Assert.Equal("interactive_stream_error", (string?)error["type"]);
            Assert.Equal("session_timeout", (string?)error["reason"]);
            Assert.Equal("Stream ended: credit lease expired", (string?)error["message"]);
            await client.Closed.WaitAsync(TestClient.Timeout);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
            await WaitUntilAsync(() => server.ActiveSessions == 0);

            var recording = await client.Http.GetFromJsonAsync<JsonObject>($"/recordings/{started["stream_id"]}");
            Assert.NotNull((string?)recording!["video_url"]);
        });

    [Fact]
    public Task DropFault_MidStream_WebSocketAbortedWithoutCloseFrame() =>
        NetworkNamespace.RunAsync<SessionLimitsTests>(nameof(DropFault_MidStream_WebSocketAbortedWithoutCloseFrame), output, async () =>
        {
            await using var server = await EmulatorServer.StartAsync(StreamerPeerTests.SmallOptions(output) with { DropConnectionAfter = TimeSpan.FromSeconds(1) });
            await using var client = new TestClient(server);
            await using var peer = await ClientPeer.ConnectAsync(client);
            await peer.RequestAsync(new JsonObject { ["type"] = "interactive_stream_start", ["prompt"] = "doomed" });

            await client.Closed.WaitAsync(TestClient.Timeout);
            Assert.Null(client.CloseStatus);
            Assert.DoesNotContain(client.Received, m => (string?)m["type"] == "error");
            Assert.Equal(1, server.ActiveSessions); // a dropped connection may come back with the same session
        });

    [Fact]
    public Task PacketLoss_OnTheMediaPath_ClientCountsLossAndKeepsDecoding() =>
        NetworkNamespace.RunAsync<SessionLimitsTests>(nameof(PacketLoss_OnTheMediaPath_ClientCountsLossAndKeepsDecoding), output, async () =>
        {
            await using var server = await EmulatorServer.StartAsync(StreamerPeerTests.SmallOptions(output) with { MediaPacketLossRate = 0.2 });
            await using var client = new TestClient(server);
            await using var peer = await ClientPeer.ConnectAsync(client);
            var (indices, _) = await peer.DecodeIndicesAsync(count: 30);
            var inbound = peer.Connection.GetStats().Inbound!;
            output.WriteLine($"client inbound: {inbound}");
            Assert.True(inbound.NackPacketsSent > 0 || inbound.PacketsLost > 0, "20 % loss must show as NACKs or lost packets");
            Assert.Equal(30, indices.Count);
        });

    [Theory]
    [InlineData("streamer_not_available")]
    [InlineData("streamer_disconnected")]
    [InlineData("unknown")]
    public async Task SignalingErrorFault_OnOpen_SendsErrorReasonAndCloses(string reason)
    {
        await using var server = await EmulatorServer.StartAsync(StreamerPeerTests.SmallOptions(output) with { SignalingErrorReason = reason });
        await using var client = new TestClient(server);
        Assert.Equal(HttpStatusCode.OK, await client.RequestSessionAsync());
        await client.ConnectSignallingAsync();
        var error = await client.WaitForAsync("error");
        Assert.Equal(reason, (string?)error["reason"]);
        await client.Closed.WaitAsync(TestClient.Timeout);
        Assert.DoesNotContain(client.Received, m => (string?)m["type"] == "offer");
    }

    [Fact]
    public async Task ConnectionLimit_Passed_SendsDurationLimitReachedAndCloses()
    {
        await using var server = await EmulatorServer.StartAsync(StreamerPeerTests.SmallOptions(output) with { MaxConnectionDuration = TimeSpan.FromSeconds(1) });
        await using var client = new TestClient(server);
        Assert.Equal(HttpStatusCode.OK, await client.RequestSessionAsync());
        await client.ConnectSignallingAsync();
        var error = await client.WaitForAsync("error");
        Assert.Equal("duration_limit_reached", (string?)error["reason"]);
        await client.Closed.WaitAsync(TestClient.Timeout);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        await WaitUntilAsync(() => server.ActiveSessions == 0);
    }

    [Fact]
    public async Task Keepalive_AndUnknownTypes_AreAcceptedWithoutReply()
    {
        await using var server = await EmulatorServer.StartAsync(StreamerPeerTests.SmallOptions(output));
        await using var client = new TestClient(server);
        Assert.Equal(HttpStatusCode.OK, await client.RequestSessionAsync());
        await client.ConnectSignallingAsync();
        await client.WaitForAsync("offer");
        await client.SendAsync(new JsonObject { ["type"] = "keepalive" });
        await client.SendAsync(new JsonObject { ["type"] = "something_new" });
        await client.SendAsync(new JsonObject { ["type"] = "interactive_stream_start", ["prompt"] = "over the socket" });

        // The channel is not open (no answer was sent), so the reply comes back over the WebSocket.
        var started = await client.WaitForAsync("stream_started");
        Assert.Equal("over the socket", (string?)started["applied_prompt"]);
        Assert.DoesNotContain(client.Received, m => (string?)m["type"] is "error");
    }

    [Fact]
    public async Task ClientDisconnecting_EndsTheSessionAndFreesTheStreamer()
    {
        await using var server = await EmulatorServer.StartAsync(StreamerPeerTests.SmallOptions(output) with { StreamerCount = 1 });
        var client = new TestClient(server);
        Assert.Equal(HttpStatusCode.OK, await client.RequestSessionAsync());
        await client.ConnectSignallingAsync();
        await client.WaitForAsync("offer");
        await client.DisposeAsync(); // sends client_disconnecting, closes 1000
        await WaitUntilAsync(() => server.ActiveSessions == 0);
        await using var again = new TestClient(server);
        Assert.Equal(HttpStatusCode.OK, await again.RequestSessionAsync());
    }

    [Fact]
    public async Task BusyResponses_FirstRequestsAnswer503ThenAStreamerIsAssigned()
    {
        await using var server = await EmulatorServer.StartAsync(StreamerPeerTests.SmallOptions(output) with { BusyResponsesBeforeAssign = 2 });
        await using var client = new TestClient(server);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await client.RequestSessionAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await client.RequestSessionAsync());
        Assert.Equal(HttpStatusCode.OK, await client.RequestSessionAsync());
    }

    [Theory]
    [InlineData(UsageErrorCode.MonthlyLimitReached, "MONTHLY_LIMIT_REACHED", "reset_date")]
    [InlineData(UsageErrorCode.ConcurrentLimitReached, "CONCURRENT_LIMIT_REACHED", "active_count")]
    [InlineData(UsageErrorCode.StreamDurationExceeded, "STREAM_DURATION_EXCEEDED", "max_duration_seconds")]
    [InlineData(UsageErrorCode.AccountSuspended, "ACCOUNT_SUSPENDED", "reason")]
    [InlineData(UsageErrorCode.RateLimited, "RATE_LIMITED", "retry_after_seconds")]
    public async Task UsageErrorFault_SessionRequest_Answers429WithTypedDetail(UsageErrorCode code, string name, string detailField)
    {
        await using var server = await EmulatorServer.StartAsync(StreamerPeerTests.SmallOptions(output) with { ForcedUsageError = code });
        await using var client = new TestClient(server);
        await client.AuthenticateAsync();
        var response = await client.Http.PostAsJsonAsync("/sessions/request", new JsonObject());
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var detail = (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!;
        Assert.Equal(name, (string?)detail["error"]);
        Assert.False(string.IsNullOrEmpty((string?)detail["message"]));
        Assert.False(string.IsNullOrEmpty((string?)detail["action"]));
        Assert.NotNull(detail["details"]![detailField]);
    }

    [Fact]
    public async Task ConcurrentLimit_PerKey_Answers429WithCounts()
    {
        await using var server = await EmulatorServer.StartAsync(StreamerPeerTests.SmallOptions(output) with { ConcurrentSessionLimit = 1 });
        await using var client = new TestClient(server);
        Assert.Equal(HttpStatusCode.OK, await client.RequestSessionAsync());
        var response = await client.Http.PostAsJsonAsync("/sessions/request", new JsonObject());
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var details = (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!["details"]!;
        Assert.Equal(1, (int)details["active_count"]!);
        Assert.Equal(1, (int)details["limit"]!);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cancel = new CancellationTokenSource(TestClient.Timeout);
        while (!condition())
        {
            await Task.Delay(20, cancel.Token);
        }
    }
}
