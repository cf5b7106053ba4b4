using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.Json;
using NATS.Client.Core;
using Odyssey.Media;
using Odyssey.Tests;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>The nats sink and source against a real nats-server on loopback.</summary>
public sealed class NatsBlocksTests
{
    private const int FrameCount = 20;
    private const int ThumbnailEvery = 5;

    /// <summary>Turns a hang (a lost end marker, a dead server) into a failure.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Publish_RecordsAndThumbnails_HeadersNameRunBlockAndFrameAndAnotherPipelineReceivesThem()
    {
        using var server = await NatsServerProcess.StartAsync();
        using var folder = new TestBlockContext();
        await using var observer = new NatsConnection(new NatsOpts { Url = server.Url });
        await using var records = await observer.SubscribeCoreAsync<byte[]>("results.motion");
        await using var thumbnails = await observer.SubscribeCoreAsync<byte[]>("results.motion.thumbnails");
        await observer.PingAsync();

        // The consumer pipeline subscribes at start, so it is started (and subscribed) before the producer.
        var consumerPool = new VideoFramePool();
        var consumer = PipelineExecution.Start(Load($$"""
            {
              "blocks": {
                "in": { "type": "natsSource", "options": { "url": "{{server.Url}}", "subject": "results.motion" } },
                "out": { "type": "jsonl", "options": { "path": "received.jsonl" } }
              },
              "links": [ "in -> out" ]
            }
            """), new PipelineRunOptions { FramePool = consumerPool, WorkingDirectory = folder.BaseDirectory });
        await server.WaitForSubscriptionsAsync("results.motion", 2);

        var pool = new VideoFramePool();
        var producer = PipelineExecution.Start(Load($$"""
            {
              "blocks": {
                "source": { "type": "testpattern", "options": { "width": 320, "height": 240, "frames": {{FrameCount}} } },
                "motion": { "type": "motion" },
                "publish": { "type": "nats", "options": { "url": "{{server.Url}}", "subject": "results.motion", "thumbnailEvery": {{ThumbnailEvery}}, "thumbnailWidth": 80 } },
                "local": { "type": "jsonl", "options": { "path": "local.jsonl" } }
              },
              "links": [ "source -> motion -> publish.in", "motion -> local", { "from": "source", "to": "publish.frames" } ]
            }
            """), new PipelineRunOptions { FramePool = pool, WorkingDirectory = folder.BaseDirectory, RunId = "run-42" });

        var produced = await producer.Completion.WaitAsync(Timeout);
        Assert.True(produced.Succeeded, produced.Fault?.ToString());
        var consumed = await consumer.Completion.WaitAsync(Timeout);
        Assert.True(consumed.Succeeded, consumed.Fault?.ToString());

        var frames = new List<long>();
        using (var reading = new CancellationTokenSource(Timeout))
        {
            while (true)
            {
                var message = await records.Msgs.ReadAsync(reading.Token);
                var headers = message.Headers!;
                Assert.Equal("run-42", headers[NatsHeaderNames.RunId].ToString());
                if (headers.ContainsKey(NatsHeaderNames.End))
                {
                    break;
                }

                Assert.Equal("motion", headers[NatsHeaderNames.Block].ToString());
                Assert.Equal("motion", headers[NatsHeaderNames.Kind].ToString());
                Assert.Equal("application/json", headers[NatsHeaderNames.ContentType].ToString());
                var frame = long.Parse(headers[NatsHeaderNames.FrameIndex].ToString(), System.Globalization.CultureInfo.InvariantCulture);
                using var json = JsonDocument.Parse(message.Data);
                Assert.Equal(frame, json.RootElement.GetProperty("frame").GetInt64());
                frames.Add(frame);
            }

            Assert.Equal(Enumerable.Range(0, FrameCount).Select(i => (long)i), frames);
            for (var expected = 0L; expected < FrameCount; expected += ThumbnailEvery)
            {
                var message = await thumbnails.Msgs.ReadAsync(reading.Token);
                Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), message.Headers![NatsHeaderNames.FrameIndex].ToString());
                Assert.Equal("image/jpeg", message.Headers[NatsHeaderNames.ContentType].ToString());
                using var image = Cv2.ImDecode(message.Data!, ImreadModes.Color);
                Assert.Equal(80, image.Width);
                Assert.Equal(60, image.Height);
            }
        }

        // What crossed NATS is what was measured, byte for byte, after the consumer's own jsonl sink.
        var local = await File.ReadAllLinesAsync(Path.Combine(folder.BaseDirectory, "local.jsonl"));
        var received = await File.ReadAllLinesAsync(Path.Combine(folder.BaseDirectory, "received.jsonl"));
        Assert.Equal(FrameCount, local.Length);
        Assert.Equal(local, received);
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(0, consumerPool.Outstanding);
    }

    [Fact]
    public async Task Source_NonRecordMessages_AreSkippedAndTheStreamStillEnds()
    {
        using var server = await NatsServerProcess.StartAsync();
        using var folder = new TestBlockContext();
        var consumer = PipelineExecution.Start(Load($$"""
            {
              "blocks": {
                "in": { "type": "natsSource", "options": { "url": "{{server.Url}}", "subject": "mixed.>", "count": 2 } },
                "out": { "type": "jsonl", "options": { "path": "received.jsonl" } }
              },
              "links": [ "in -> out" ]
            }
            """), new PipelineRunOptions { WorkingDirectory = folder.BaseDirectory });
        await using var publisher = new NatsConnection(new NatsOpts { Url = server.Url });
        await server.WaitForSubscriptionsAsync("mixed.>", 1);

        await publisher.PublishAsync("mixed.a", Encoding.UTF8.GetBytes("not json"));
        await publisher.PublishAsync("mixed.a", Encoding.UTF8.GetBytes("[1,2]"));
        await publisher.PublishAsync("mixed.a", Encoding.UTF8.GetBytes("""{"kind":"x","frame":"seven"}"""));
        await publisher.PublishAsync("mixed.b", Encoding.UTF8.GetBytes("""{"kind":"brightness","block":"b","frame":7,"mean":12.5}"""));
        await publisher.PublishAsync("mixed.b", Encoding.UTF8.GetBytes("""{"kind":"brightness","frame":8,"nested":{"a":[1]}}"""));
        var result = await consumer.Completion.WaitAsync(Timeout);

        Assert.True(result.Succeeded, result.Fault?.ToString());
        var lines = await File.ReadAllLinesAsync(Path.Combine(folder.BaseDirectory, "received.jsonl"));
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("""{"kind":"brightness","block":"b","frame":7,""", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("\"mean\":12.5}", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("\"nested\":{\"a\":[1]}}", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sink_NoServer_FailsAtStartNamingBlockAndUrl()
    {
        // A port nothing listens on: 1 is reserved (tcpmux) and never served here.
        var definition = Load("""
            {
              "blocks": {
                "source": { "type": "testpattern", "options": { "width": 64, "height": 48, "frames": 2 } },
                "motion": { "type": "motion" },
                "publish": { "type": "nats", "options": { "url": "nats://127.0.0.1:1", "subject": "x" } }
              },
              "links": [ "source -> motion -> publish.in" ]
            }
            """);

        var result = await PipelineExecution.Start(definition).Completion.WaitAsync(Timeout);

        Assert.NotNull(result.Fault);
        Assert.Equal("publish", result.Fault.Block);
        Assert.Equal("start", result.Fault.Phase);
        Assert.Contains("nats://127.0.0.1:1", result.Fault.Exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a..b", false, "empty token")]
    [InlineData("a b", false, "whitespace")]
    [InlineData("a.*", false, "wildcards are for subscribing")]
    [InlineData("a.>.b", true, "must be the last token")]
    [InlineData("a.b*", true, "whole token")]
    [InlineData("", true, "empty")]
    public void Subject_Invalid_SaysWhy(string subject, bool wildcards, string expected)
    {
        Assert.Contains(expected, NatsSubjects.Problem(subject, wildcards), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a.b.c", false)]
    [InlineData("a.*.c", true)]
    [InlineData("a.>", true)]
    public void Subject_Valid_HasNoProblem(string subject, bool wildcards)
    {
        Assert.Null(NatsSubjects.Problem(subject, wildcards));
    }

    [Fact]
    public void SinkOptions_BadUrlAndWildcardSubject_NameBothOptions()
    {
        var options = new NatsSinkOptions { Subject = "a.*", Url = "http://x" };
        var results = new List<ValidationResult>();

        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.MemberNames.Contains("subject"));
        Assert.Contains(results, r => r.MemberNames.Contains("url"));
    }

    private static PipelineDefinition Load(string json) =>
        PipelineLoader.Load(json, BuiltInBlocks.CreateRegistry(), Path.GetTempPath()).EnsureValid();
}
