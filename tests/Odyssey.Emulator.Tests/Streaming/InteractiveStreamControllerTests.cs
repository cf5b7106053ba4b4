using System.Text.Json.Nodes;
using Odyssey.Emulator.Broadcast;
using Odyssey.Emulator.Streaming;
using Odyssey.Emulator.World;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Emulator.Tests.Streaming;

/// <summary>The data-channel protocol (PROTOCOL.md §5) without WebRTC: messages in, replies and host calls out.</summary>
public sealed class InteractiveStreamControllerTests
{
    private readonly FakeHost _host = new();
    private readonly List<JsonObject> _replies = [];

    private InteractiveStreamController Create(string? forced = null) => new(_host, reply =>
    {
        _replies.Add(reply);
        return ValueTask.CompletedTask;
    }, forced);

    [Fact]
    public async Task Start_PyStyleWithNulls_RepliesStreamStartedWithIdAndExpandedPrompt()
    {
        var controller = Create();
        await controller.HandleAsync("""{"type":"interactive_stream_start","prompt":"  a  red fox ","portrait":false,"input_image_base64":null,"broadcast":false,"bypass_vlm_expansion":null}""", MessageTransport.DataChannel);

        var reply = Assert.Single(_replies);
        Assert.Equal("stream_started", (string?)reply["type"]);
        Assert.Equal(_host.StreamId, (string?)reply["stream_id"]);
        Assert.Equal("a red fox", (string?)reply["applied_prompt"]);
        Assert.False(_host.Portrait);
        Assert.Equal("a red fox", _host.Scene!.Prompt);
        Assert.Equal("start", _host.Events[0].Type);
    }

    [Fact]
    public async Task Start_JsStyleOmittedKeys_DefaultsToPortraitAndEmptyPromptExpanded()
    {
        var controller = Create();
        await controller.HandleAsync("""{"type":"interactive_stream_start"}""", MessageTransport.WebSocket);

        Assert.True(_host.Portrait);
        Assert.Equal(InteractiveStreamController.EmptyPromptExpansion, (string?)_replies[0]["applied_prompt"]);
        Assert.Equal("websocket", (string?)_host.Events[0].Fields["via"]);
    }

    [Fact]
    public async Task Start_BypassExpansion_AppliesThePromptAsSent()
    {
        var controller = Create();
        await controller.HandleAsync("""{"type":"interactive_stream_start","prompt":"  exact  ","bypass_vlm_expansion":true}""", MessageTransport.DataChannel);
        Assert.Equal("  exact  ", (string?)_replies[0]["applied_prompt"]);
    }

    [Fact]
    public async Task UpdateThenEnd_AcknowledgesAndEndsTheStream()
    {
        var controller = Create();
        await controller.HandleAsync("""{"type":"interactive_stream_start","prompt":"a"}""", MessageTransport.DataChannel);
        await controller.HandleAsync("""{"type":"update","prompt":"a blue whale"}""", MessageTransport.DataChannel);
        await controller.HandleAsync("""{"type":"interactive_stream_end"}""", MessageTransport.DataChannel);

        Assert.Equal(["stream_started", "update_acknowledged", "stream_ended"], _replies.Select(r => (string)r["type"]!));
        Assert.Equal("a blue whale", (string?)_replies[1]["prompt"]);
        Assert.Equal("a blue whale", _host.ShownScenes[^1].Prompt);
        Assert.Equal(1, _host.Ended);
        Assert.Null(controller.StreamId);
    }

    [Fact]
    public async Task Update_NoStream_RepliesInteractiveStreamError()
    {
        var controller = Create();
        await controller.HandleAsync("""{"type":"update","prompt":"x"}""", MessageTransport.DataChannel);
        AssertError("no_active_stream");
    }

    [Fact]
    public async Task End_NoStream_StillRepliesStreamEnded()
    {
        var controller = Create();
        await controller.HandleAsync("""{"type":"interactive_stream_end"}""", MessageTransport.DataChannel);
        Assert.Equal("stream_ended", (string?)Assert.Single(_replies)["type"]);
        Assert.Equal(0, _host.Ended);
    }

    [Fact]
    public async Task Start_WhileStreaming_RepliesErrorAndKeepsTheStream()
    {
        var controller = Create();
        await controller.HandleAsync("""{"type":"interactive_stream_start"}""", MessageTransport.DataChannel);
        var first = controller.StreamId;
        await controller.HandleAsync("""{"type":"interactive_stream_start"}""", MessageTransport.DataChannel);
        AssertError("stream_already_active");
        Assert.Equal(first, controller.StreamId);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"type":5}""")]
    public async Task Handle_Malformed_RepliesInvalidMessage(string text)
    {
        await Create().HandleAsync(text, MessageTransport.DataChannel);
        AssertError("invalid_message");
    }

    [Theory]
    [InlineData("""{"type":"interactive_stream_start","prompt":5}""")]
    [InlineData("""{"type":"interactive_stream_start","portrait":"yes"}""")]
    [InlineData("""{"type":"interactive_stream_start","input_image_base64":"http://x/y.png"}""")]
    [InlineData("""{"type":"interactive_stream_start","input_image_base64":"data:image/png;base64,@@@"}""")]
    [InlineData("""{"type":"update"}""")]
    public async Task Handle_WrongFields_RepliesInvalidRequest(string text)
    {
        var controller = Create();
        if (text.Contains("update", StringComparison.Ordinal))
        {
            await controller.HandleAsync("""{"type":"interactive_stream_start"}""", MessageTransport.DataChannel);
            _replies.Clear();
        }

        await controller.HandleAsync(text, MessageTransport.DataChannel);
        AssertError("invalid_request");
    }

    [Fact]
    public async Task Start_WithImage_SceneDiffersFromTheSamePromptWithout()
    {
        var controller = Create();
        var image = "data:image/jpeg;base64," + Convert.ToBase64String(Jpeg(704, 1280));
        await controller.HandleAsync($$"""{"type":"interactive_stream_start","prompt":"p","input_image_base64":"{{image}}"}""", MessageTransport.WebSocket);
        var plain = Scene.For("p");
        Assert.Equal("stream_started", (string?)_replies[0]["type"]);
        Assert.True(_host.Scene!.BackgroundU != plain.BackgroundU || _host.Scene.BackgroundV != plain.BackgroundV || _host.Scene.BackgroundY != plain.BackgroundY);
    }

    [Fact]
    public async Task Start_Broadcast_StreamStartedThenBroadcastReadyWithUrlAndToken()
    {
        var controller = Create();
        await controller.HandleAsync("""{"type":"interactive_stream_start","prompt":"p","broadcast":true}""", MessageTransport.DataChannel);

        Assert.Equal(2, _replies.Count);
        Assert.Equal("stream_started", (string?)_replies[0]["type"]);
        var ready = _replies[1];
        Assert.Equal("broadcast_ready", (string?)ready["type"]);
        Assert.True(ready.ContainsKey("broadcast_url"));
        Assert.Null(ready["broadcast_url"]);
        Assert.Equal("http://127.0.0.1:1/broadcast/" + _host.StreamId, (string?)ready["webrtc_url"]);
        Assert.Equal("spec_token", (string?)ready["spectator_token"]);
        Assert.Equal([_host.StreamId!], _host.Broadcasts);
    }

    [Fact]
    public async Task Start_NoBroadcast_NoBroadcastReady()
    {
        var controller = Create();
        await controller.HandleAsync("""{"type":"interactive_stream_start","prompt":"p","broadcast":false}""", MessageTransport.DataChannel);

        Assert.Single(_replies);
        Assert.Empty(_host.Broadcasts);
    }

    [Theory]
    [InlineData(1280, 704, true, "image is 1280x704; a portrait start takes a 704x1280 image")]
    [InlineData(704, 1280, false, "image is 704x1280; a landscape start takes a 1280x704 image")]
    [InlineData(640, 480, false, "image is 640x480; a landscape start takes a 1280x704 image")]
    public async Task Start_ImageNotPrepared_InvalidRequestNamingBothSizes(int width, int height, bool portrait, string expected)
    {
        var controller = Create();
        var image = "data:image/jpeg;base64," + Convert.ToBase64String(Jpeg(width, height));
        await controller.HandleAsync($$"""{"type":"interactive_stream_start","portrait":{{(portrait ? "true" : "false")}},"input_image_base64":"{{image}}"}""", MessageTransport.WebSocket);

        AssertError("invalid_request");
        Assert.Contains(expected, (string?)_replies[0]["message"], StringComparison.Ordinal);
        Assert.Null(_host.StreamId);
    }

    [Fact]
    public async Task Start_ImageMagicButGarbage_InvalidRequestSayingItDoesNotDecode()
    {
        var controller = Create();
        var image = "data:image/png;base64," + Convert.ToBase64String([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 1, 2, 3]);
        await controller.HandleAsync($$"""{"type":"interactive_stream_start","input_image_base64":"{{image}}"}""", MessageTransport.WebSocket);

        AssertError("invalid_request");
        Assert.Contains("Png image (15 bytes) could not be decoded", (string?)_replies[0]["message"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("quota_exceeded")]
    [InlineData("concurrent_limit_exceeded")]
    [InlineData("lease_denied")]
    public async Task Start_ForcedStreamError_RepliesThatReasonAndStartsNothing(string reason)
    {
        var controller = Create(reason);
        await controller.HandleAsync("""{"type":"interactive_stream_start"}""", MessageTransport.DataChannel);
        AssertError(reason);
        Assert.Null(_host.StreamId);
    }

    [Fact]
    public async Task Expire_Streaming_EndsAndRepliesSessionTimeoutWithTheDocumentedMessage()
    {
        var controller = Create();
        await controller.HandleAsync("""{"type":"interactive_stream_start"}""", MessageTransport.DataChannel);
        await controller.ExpireAsync();

        var error = AssertError("session_timeout");
        Assert.Equal(InteractiveStreamController.SessionTimeoutMessage, (string?)error["message"]);
        Assert.Equal(1, _host.Ended);
        Assert.Null(controller.StreamId);
    }

    [Fact]
    public async Task UnknownType_IsIgnored()
    {
        await Create().HandleAsync("""{"type":"something_new"}""", MessageTransport.DataChannel);
        Assert.Empty(_replies);
    }

    private JsonObject AssertError(string reason)
    {
        var error = _replies[^1];
        Assert.Equal("interactive_stream_error", (string?)error["type"]);
        Assert.Equal(reason, (string?)error["reason"]);
        Assert.False(string.IsNullOrEmpty((string?)error["message"]));
        return error;
    }

    private sealed class FakeHost : IStreamHost
    {
        public string? StreamId { get; private set; }

        public Scene? Scene { get; private set; }

        public bool Portrait { get; private set; }

        public int Ended { get; private set; }

        public List<Scene> ShownScenes { get; } = [];

        public List<(string Type, JsonObject Fields)> Events { get; } = [];

        public string StartStream(Scene scene, bool portrait)
        {
            Scene = scene;
            Portrait = portrait;
            StreamId = "stream_test_" + Events.Count;
            return StreamId;
        }

        public void ShowScene(Scene scene) => ShownScenes.Add(scene);

        public void RecordEvent(string type, JsonObject fields) => Events.Add((type, fields));

        public void EndStream() => Ended++;

        public List<string> Broadcasts { get; } = [];

        public BroadcastAnnouncement StartBroadcast(string streamId)
        {
            Broadcasts.Add(streamId);
            return new BroadcastAnnouncement("http://127.0.0.1:1/broadcast/" + streamId, "spec_token");
        }
    }

    private static byte[] Jpeg(int width, int height)
    {
        var picture = VideoFramePool.Shared.Rent(width, height, PixelFormat.Rgb24);
        try
        {
            picture.GetPlane(0).Fill(90);
            return StillImage.EncodeJpeg(picture);
        }
        finally
        {
            picture.Release();
        }
    }
}
