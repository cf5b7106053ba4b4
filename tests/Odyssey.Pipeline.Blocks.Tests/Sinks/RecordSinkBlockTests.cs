using System.ComponentModel.DataAnnotations;
using Odyssey.Media;
using Odyssey.Media.Containers;

namespace Odyssey.Pipeline.Blocks.Tests;

public sealed class RecordSinkBlockTests : IDisposable
{
    private const int FrameCount = 12;
    private readonly string _folder = Directory.CreateTempSubdirectory("odyssey-record-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("in.mp4", "out.mkv", "h264")]
    [InlineData("in.h264", "out.mp4", "h264")]
    [InlineData("in.ivf", "out.webm", "vp8")]
    public async Task Run_FileToRecord_FfprobeSeesEveryFrameAndPacketsAreIdentical(string input, string output, string codec)
    {
        var source = MediaFiles.Encode(Path.Combine(_folder, input), FrameCount);
        var target = Path.Combine(_folder, output);

        var result = await RunAsync($$"""
            {
              "blocks": {
                "src": { "type": "file", "options": { "path": "{{source}}", "fps": {{MediaFiles.FrameRate}} } },
                "rec": { "type": "record", "options": { "path": "{{target}}" } }
              },
              "links": [ "src -> rec" ]
            }
            """);

        Assert.True(result.Succeeded, result.Fault?.ToString());
        var probe = MediaFiles.Probe(target);
        Assert.Equal(codec, (string?)probe["codec_name"]);
        Assert.Equal(MediaFiles.Width, (int?)probe["width"]);
        Assert.Equal(MediaFiles.Height, (int?)probe["height"]);
        Assert.Equal($"{FrameCount}", (string?)probe["nb_read_frames"]);
        AssertSamePackets(source, target);
    }

    [Fact]
    public async Task Run_StoppedMidStream_FileUnderTheFinalNamePlaysWithEveryPacketReceived()
    {
        // An endless paced source, stopped as Ctrl+C would: the sink must still finalise the file.
        var source = MediaFiles.Encode(Path.Combine(_folder, "live.mp4"), FrameCount);
        var target = Path.Combine(_folder, "stopped.mp4");
        var definition = Load($$"""
            {
              "blocks": {
                "src": { "type": "file", "options": { "path": "{{source}}", "realtime": true, "loop": true } },
                "rec": { "type": "record", "options": { "path": "{{target}}" } }
              },
              "links": [ "src -> rec" ]
            }
            """);
        var pool = new VideoFramePool();
        var execution = PipelineExecution.Start(definition, new PipelineRunOptions { FramePool = pool, WorkingDirectory = _folder });

        using (var wait = new CancellationTokenSource(BlockHarness.Timeout))
        {
            while (Received(execution.Snapshot()) < FrameCount + 3)
            {
                await Task.Delay(20, wait.Token);
            }
        }

        Assert.False(File.Exists(target));
        Assert.True(File.Exists(MediaFileWriter.PartialPathFor(target)));
        execution.Stop();
        var result = await execution.Completion.WaitAsync(BlockHarness.Timeout);

        Assert.True(result.Succeeded, result.Fault?.ToString());
        Assert.True(result.Stopped);
        var received = Received(result.Metrics);
        Assert.True(received > FrameCount, "the recording spans a loop");
        Assert.Equal($"{received}", (string?)MediaFiles.Probe(target)["nb_read_frames"]);
        Assert.False(File.Exists(MediaFileWriter.PartialPathFor(target)));
    }

    [Fact]
    public async Task Complete_NoKeyframe_NoFileAndANote()
    {
        using var context = new TestBlockContext();
        var sink = await BlockHarness.StartAsync(new RecordSinkBlock(new RecordSinkOptions { Path = "none.mkv" }), context);
        var pool = new EncodedPacketPool();
        var packet = pool.Rent(16);
        packet.Codec = VideoCodec.Vp8;
        packet.Data.Fill(0xFF); // VP8 frame tag bit 0 set: an inter frame

        await BlockHarness.ConsumeAsync(sink, packet);
        packet.Release();
        await BlockHarness.CompleteAsync(sink);
        await sink.DisposeAsync();

        Assert.False(File.Exists(Path.Combine(context.BaseDirectory, "none.mkv")));
        Assert.Contains("no keyframe", sink.CompletionNote, StringComparison.Ordinal);
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData("clip.avi")]
    [InlineData("clip.h264")]
    public void Validate_UnwritableExtension_NamesThePathOption(string path)
    {
        var options = new RecordSinkOptions { Path = path };

        var result = Assert.Single(options.Validate(new ValidationContext(options)));

        Assert.Contains("path", result.MemberNames);
        Assert.Contains(path, result.ErrorMessage, StringComparison.Ordinal);
    }

    private static long Received(PipelineSnapshot snapshot) => snapshot.Blocks.Single(b => b.Name == "rec").ItemsIn;

    private static PipelineDefinition Load(string json) =>
        PipelineLoader.Load(json, BuiltInBlocks.CreateRegistry(), Path.GetTempPath()).EnsureValid();

    private async Task<PipelineResult> RunAsync(string json)
    {
        var execution = PipelineExecution.Start(Load(json), new PipelineRunOptions { FramePool = new VideoFramePool(), WorkingDirectory = _folder });
        return await execution.Completion.WaitAsync(BlockHarness.Timeout);
    }

    private static void AssertSamePackets(string expectedPath, string actualPath)
    {
        var pool = new EncodedPacketPool();
        using var expectedReader = new MediaFileReader(expectedPath, pool, MediaFiles.FrameRate);
        using var actualReader = new MediaFileReader(actualPath, pool);
        var count = 0;
        while (expectedReader.TryRead(out var expected))
        {
            Assert.True(actualReader.TryRead(out var actual), $"the recording ends after {count} packets");
            Assert.True(expected.Data.SequenceEqual(actual.Data), $"packet {count} differs");
            Assert.Equal(expected.IsKeyframe, actual.IsKeyframe);
            expected.Release();
            actual.Release();
            count++;
        }

        Assert.False(actualReader.TryRead(out _));
        Assert.Equal(0, pool.Outstanding);
    }
}
