using System.Globalization;
using System.Text.Json.Nodes;
using Odyssey.Emulator.Tests.Streaming;
using Xunit.Abstractions;

namespace Odyssey.Emulator.Tests.Clients;

/// <summary>
/// A client we did not write the WebRTC of: odyssey_aiortc_client.py (aiortc 1.4, the Python client's
/// stack) goes through the whole flow against the emulator in a fresh network namespace and reports what
/// it decoded and received.
/// </summary>
[Collection(NetworkNamespaceCollection.Name)]
public sealed class AiortcClientTests(ITestOutputHelper output)
{
    private const int FramesPerStep = 15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public Task AiortcClient_WholeFlowH264_DecodesIndicesInOrderAndEveryReplyArrives() =>
        NetworkNamespace.RunAsync<AiortcClientTests>(nameof(AiortcClient_WholeFlowH264_DecodesIndicesInOrderAndEveryReplyArrives), output,
            () => RunAsync(StreamerPeerTests.SmallOptions(output)));

    [Fact]
    public Task AiortcClient_WholeFlowVp8_DecodesIndicesInOrderAndEveryReplyArrives() =>
        NetworkNamespace.RunAsync<AiortcClientTests>(nameof(AiortcClient_WholeFlowVp8_DecodesIndicesInOrderAndEveryReplyArrives), output,
            () => RunAsync(StreamerPeerTests.SmallOptions(output) with { Codec = Media.VideoCodec.Vp8 }));

    private async Task RunAsync(EmulatorOptions options)
    {
        await using var server = await EmulatorServer.StartAsync(options);
        var script = Path.Combine(AppContext.BaseDirectory, "Clients", "odyssey_aiortc_client.py");
        using var client = new ToolProcess("/usr/bin/python3", [script, server.ApiUrl.ToString(), server.ApiKey, FramesPerStep.ToString(CultureInfo.InvariantCulture)]);
        JsonNode result;
        try
        {
            var line = await client.WaitForLineAsync(l => l.StartsWith("{\"result\"", StringComparison.Ordinal), Timeout);
            result = JsonNode.Parse(line)!["result"]!;
        }
        finally
        {
            output.WriteLine("client transcript:\n" + client.Transcript);
        }

        Assert.Empty(result["other_labels"]!.AsArray());
        AssertInOrder(result["idle"]!, landscape: true, options);

        var started = result["stream"]!["started"]!;
        Assert.Equal("stream_started", (string?)started["type"]);
        Assert.Equal("a red fox in the snow", (string?)started["applied_prompt"]);
        Assert.StartsWith("stream_", (string?)started["stream_id"], StringComparison.Ordinal);
        AssertInOrder(result["stream"]!, landscape: false, options);

        Assert.Equal("update_acknowledged", (string?)result["update"]!["reply"]!["type"]);
        Assert.Equal("a blue whale", (string?)result["update"]!["reply"]!["prompt"]);
        Assert.Equal("stream_ended", (string?)result["end"]!["type"]);

        var imageStart = result["image_stream"]!["started"]!;
        Assert.Equal("stream_started", (string?)imageStart["type"]);
        Assert.Equal("a lighthouse", (string?)imageStart["applied_prompt"]);
        Assert.NotEqual((string?)started["stream_id"], (string?)imageStart["stream_id"]);
        AssertInOrder(result["image_stream"]!, landscape: true, options);
        Assert.Equal("stream_ended", (string?)result["image_end"]!["type"]);

        Assert.Equal(200, (int)result["recording"]!["status"]!);
        Assert.True((long)result["recording"]!["body"]!["frame_count"]! > 0);
        Assert.Equal(2, (int)result["recordings"]!["body"]!["total"]!);
    }

    private static void AssertInOrder(JsonNode step, bool landscape, EmulatorOptions options)
    {
        var indices = step["indices"]!.AsArray().Select(n => (long)n!).ToList();
        Assert.Equal(FramesPerStep, indices.Count);
        for (var i = 1; i < indices.Count; i++)
        {
            Assert.True(indices[i] > indices[i - 1], $"aiortc decoded indices out of order: {string.Join(',', indices)}");
        }

        var size = step["size"]!.AsArray();
        Assert.Equal(landscape ? options.Width : options.Height, (int)size[0]!);
        Assert.Equal(landscape ? options.Height : options.Width, (int)size[1]!);
    }
}
