using System.Text.Json.Nodes;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;
using Xunit.Abstractions;

namespace Odyssey.Emulator.Tests.Streaming;

/// <summary>
/// The emulator's streamer against our own PeerConnection as the client (answerer, trickle both ways), in a
/// fresh network namespace: offer, answer, video with stamped frame indices in order, the stream messages,
/// and the limits and faults that end a connection.
/// </summary>
[Collection(NetworkNamespaceCollection.Name)]
public sealed class StreamerPeerTests(ITestOutputHelper output)
{
    /// <summary>Small pictures: several sessions encode at once on a shared 2-core machine.</summary>
    internal static EmulatorOptions SmallOptions(ITestOutputHelper output) => new()
    {
        Width = 320,
        Height = 176,
        BitrateKbps = 400,
        Log = line =>
        {
            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} emulator: {line}");
            }
            catch (InvalidOperationException)
            {
                // the test already finished; late log lines have nowhere to go
            }
        },
    };

    [Fact]
    public Task Session_OfferAnswerAndStream_VideoIndicesInOrderAndMessagesAnswered() =>
        NetworkNamespace.RunAsync<StreamerPeerTests>(nameof(Session_OfferAnswerAndStream_VideoIndicesInOrderAndMessagesAnswered), output, async () =>
        {
            await using var server = await EmulatorServer.StartAsync(SmallOptions(output));
            await using var client = new TestClient(server);
            await using var peer = await ClientPeer.ConnectAsync(client);

            var (indices, _) = await peer.DecodeIndicesAsync(count: 20);
            AssertIncreasing(indices);
            Assert.True(server.TryGetFrameSendTime(client.SessionId!, indices[^1], out var sentAt));
            Assert.True(sentAt <= DateTimeOffset.UtcNow);

            var reply = await peer.RequestAsync(new JsonObject { ["type"] = "interactive_stream_start", ["prompt"] = "  a red   fox ", ["portrait"] = false });
            Assert.DoesNotContain(client.Received, m => (string?)m["type"] == "stream_started"); // replies go on the data channel only
            Assert.Equal("stream_started", (string?)reply["type"]);
            Assert.Equal("a red fox", (string?)reply["applied_prompt"]);
            var streamId = (string)reply["stream_id"]!;

            var ack = await peer.RequestAsync(new JsonObject { ["type"] = "update", ["prompt"] = "a blue whale" });
            Assert.Equal("update_acknowledged", (string?)ack["type"]);
            Assert.Equal("a blue whale", (string?)ack["prompt"]);
            await peer.DecodeIndicesAsync(count: 10);

            var ended = await peer.RequestAsync(new JsonObject { ["type"] = "interactive_stream_end" });
            Assert.Equal("stream_ended", (string?)ended["type"]);

            var recording = await client.Http.GetFromJsonAsync<JsonObject>($"/recordings/{streamId}");
            Assert.True((long)recording!["frame_count"]! > 0, recording.ToJsonString());
            var video = await client.Http.GetByteArrayAsync((string)recording["video_url"]!);
            Assert.Equal("ftyp"u8.ToArray(), video[4..8]);
            var events = await client.Http.GetStringAsync((string)recording["events_url"]!);
            Assert.Contains("\"applied_prompt\":\"a blue whale\"", events, StringComparison.Ordinal);
        });

    private static void AssertIncreasing(IReadOnlyList<long> indices)
    {
        for (var i = 1; i < indices.Count; i++)
        {
            Assert.True(indices[i] > indices[i - 1], $"frame indices out of order: {string.Join(',', indices)}");
        }
    }
}

/// <summary>Our PeerConnection answering the emulator's offer through a <see cref="TestClient"/>'s WebSocket, trickling both ways.</summary>
internal sealed class ClientPeer : IAsyncDisposable
{
    private readonly TestClient _client;
    private readonly VideoFramePool _frames = new();
    private VideoDecoder? _decoder;
    private readonly List<JsonObject> _replies = [];
    private readonly TaskCompletionSource<RtcDataChannel> _toStreamer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _repliesSeen;

    /// <summary>
    /// Listens for the streamer's channels before anything is negotiated: the streamer opens them as soon as
    /// DTLS is up, and a loaded machine can deliver both before a later subscription, losing every reply.
    /// </summary>
    private ClientPeer(TestClient client, PeerConnection connection)
    {
        _client = client;
        Connection = connection;
        connection.DataChannel += OnDataChannel;
    }

    /// <summary>Made on first use: the remote video's codec is known only once the offer is applied.</summary>
    private VideoDecoder Decoder
    {
        get
        {
            if (_decoder is null)
            {
                _decoder = new VideoDecoder(Connection.RemoteVideo!.Codec, _frames);
                _decoder.KeyframeRequested += (_, _) => Connection.RemoteVideo.RequestKeyframe();
            }

            return _decoder;
        }
    }

    public PeerConnection Connection { get; }

    public static async Task<ClientPeer> ConnectAsync(TestClient client)
    {
        Assert.Equal(System.Net.HttpStatusCode.OK, await client.RequestSessionAsync());
        await client.ConnectSignallingAsync();
        var offer = await client.WaitForAsync("offer");
        var connection = new PeerConnection(new PeerConnectionOptions { Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false } });
        var peer = new ClientPeer(client, connection);
        connection.LocalCandidate += candidate => _ = client.SendAsync(new JsonObject
        {
            ["type"] = "ice_candidate",
            ["candidate"] = candidate.Candidate,
            ["sdpMid"] = candidate.SdpMid,
            ["sdpMLineIndex"] = candidate.SdpMLineIndex,
        });
        await connection.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Offer, (string)offer["sdp"]!));
        var answer = await connection.CreateAnswerAsync();
        await connection.SetLocalDescriptionAsync(answer);
        await client.SendAsync(new JsonObject { ["type"] = "answer", ["sdp"] = answer.Sdp });
        var trickled = 0;
        _ = Task.Run(async () =>
        {
            // The server's trickled candidates, as they come.
            while (true)
            {
                var candidate = await client.WaitForAsync("ice_candidate", trickled++);
                connection.AddRemoteIceCandidate((string)candidate["candidate"]!, (string?)candidate["sdpMid"]);
            }
        });
        await connection.WhenConnectedAsync().WaitAsync(TestClient.Timeout);
        return peer;
    }

    /// <summary>The client's channel to the streamer, once open (PROTOCOL.md §2 step 8: ready = video + this channel).</summary>
    public async Task<RtcDataChannel> ToStreamerAsync()
    {
        var channel = await _toStreamer.Task.WaitAsync(TestClient.Timeout);
        await channel.WhenOpenAsync().WaitAsync(TestClient.Timeout);
        return channel;
    }

    private void OnDataChannel(RtcDataChannel channel)
    {
        switch (channel.Label)
        {
            case "clientToStreamer":
                _toStreamer.TrySetResult(channel);
                break;
            case "streamerToClient":
                channel.Message += (_, message) =>
                {
                    lock (_replies)
                    {
                        _replies.Add(JsonNode.Parse(message.Text)!.AsObject());
                    }
                };
                break;
        }
    }

    /// <summary>Decodes until <paramref name="count"/> stamped frames were read; their indices in arrival order and their pictures' sizes.</summary>
    public async Task<(List<long> Indices, (int Width, int Height) Size)> DecodeIndicesAsync(int count)
    {
        var indices = new List<long>();
        var size = (0, 0);
        using var cancel = new CancellationTokenSource(TestClient.Timeout);
        while (indices.Count < count)
        {
            var packet = await Connection.RemoteVideo!.Frames.ReadAsync(cancel.Token);
            try
            {
                Decoder.Send(packet);
            }
            finally
            {
                packet.Release();
            }

            while (Decoder.TryReceive(out var frame))
            {
                if (FrameIndexCode.TryRead(frame, out var index))
                {
                    indices.Add(index);
                    size = (frame.Width, frame.Height);
                }

                frame.Release();
            }
        }

        return (indices, size);
    }

    /// <summary>
    /// Sends a stream message on <c>clientToStreamer</c> (or, for a start, over the WebSocket as a client with
    /// an image would) and waits for the next reply on <c>streamerToClient</c>, the only place clients read them.
    /// </summary>
    public async Task<JsonObject> RequestAsync(JsonObject message, bool viaWebSocket = false)
    {
        if (viaWebSocket)
        {
            await _client.SendAsync(message);
        }
        else
        {
            await (await ToStreamerAsync()).SendAsync(message.ToJsonString());
        }

        return await NextReplyAsync();
    }

    /// <summary>The next message on <c>streamerToClient</c> not yet returned.</summary>
    public async Task<JsonObject> NextReplyAsync()
    {
        using var cancel = new CancellationTokenSource(TestClient.Timeout);
        while (true)
        {
            lock (_replies)
            {
                if (_replies.Count > _repliesSeen)
                {
                    return _replies[_repliesSeen++];
                }
            }

            await Task.Delay(20, cancel.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _decoder?.Dispose();
        await Connection.DisposeAsync();
    }
}
