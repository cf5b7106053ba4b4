using Odyssey.Tests;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks.Tests;

public sealed class PreviewSinkBlockTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Preview_ChosenField_ChartPointsCarryOnlyThatFieldInFrameOrderAndNoFrameLeaks()
    {
        var port = FreePort();
        var definition = PipelineLoader.Load($$"""
            {
              "blocks": {
                "source":  { "type": "testpattern", "options": { "width": 160, "height": 120, "frames": 0, "realtime": true, "fps": 60 } },
                "motion":  { "type": "motion" },
                "preview": { "type": "preview", "options": { "port": {{port}}, "fields": "motion.movingFraction", "maxFps": 5 } }
              },
              "links": [ "source -> motion -> preview.records", { "from": "source", "to": "preview.in", "capacity": 2, "full": "drop-oldest" } ]
            }
            """, BuiltInBlocks.CreateRegistry(), Path.GetTempPath()).EnsureValid();
        var pool = new VideoFramePool();
        var execution = PipelineExecution.Start(definition, new PipelineRunOptions { FramePool = pool });
        var points = new List<JsonArray>();
        var frames = 0;
        try
        {
            using var socket = await ConnectAsync(port, execution);
            using var timeout = new CancellationTokenSource(Timeout);
            while (points.Count < 20 || frames < 2)
            {
                var (binary, payload) = await WebSocketMessages.ReceiveAsync(socket, timeout.Token);
                if (binary)
                {
                    frames++;
                    continue;
                }

                var message = JsonNode.Parse(payload)!;
                if ((string?)message["type"] == "points")
                {
                    points.AddRange(message["points"]!.AsArray().Select(p => p!.AsArray()));
                }
            }
        }
        finally
        {
            execution.Stop();
        }

        var result = await execution.Completion.WaitAsync(Timeout);
        Assert.True(result.Succeeded, result.Fault?.ToString());
        Assert.Equal(0, pool.Outstanding);
        Assert.All(points, p =>
        {
            Assert.Equal("motion", (string?)p[0]);
            Assert.Equal("movingFraction", (string?)p[1]);
            Assert.InRange((double)p[3]!, 0, 1);
        });
        for (var i = 1; i < points.Count; i++)
        {
            Assert.True((long)points[i][2]! > (long)points[i - 1][2]!, "chart points out of frame order");
        }
    }

    [Fact]
    public async Task Preview_PortTaken_StartFailsNamingBlockAndAddress()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var definition = PipelineLoader.Load($$"""
            {
              "blocks": {
                "source":  { "type": "testpattern", "options": { "width": 64, "height": 48, "frames": 3 } },
                "preview": { "type": "preview", "options": { "port": {{port}} } }
              },
              "links": [ "source -> preview.in" ]
            }
            """, BuiltInBlocks.CreateRegistry(), Path.GetTempPath()).EnsureValid();

        var result = await PipelineExecution.Start(definition).Completion.WaitAsync(Timeout);

        Assert.NotNull(result.Fault);
        Assert.Equal("preview", result.Fault.Block);
        Assert.Equal("start", result.Fault.Phase);
        Assert.Contains($"127.0.0.1:{port}", result.Fault.Exception.Message, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<ClientWebSocket> ConnectAsync(int port, PipelineExecution execution)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var socket = new ClientWebSocket();
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"), attempt.Token);
                return socket;
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException && DateTime.UtcNow < deadline && !execution.Completion.IsCompleted)
            {
                socket.Dispose();
                await Task.Delay(100);
            }
        }
    }
}
