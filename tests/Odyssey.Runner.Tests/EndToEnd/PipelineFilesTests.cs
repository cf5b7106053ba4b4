using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Odyssey.Media;
using Odyssey.Media.Containers;
using Odyssey.Pipeline.Blocks;
using OpenCvSharp;

namespace Odyssey.Runner.Tests.EndToEnd;

/// <summary>
/// Runs the built runner on every pipeline file that ships in pipelines/ and checks what its sinks
/// wrote, reading the file itself to know what to expect, so a new pipeline file is covered too.
/// </summary>
public class PipelineFilesTests
{
    public static TheoryData<string> PipelineFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RunnerProcess.PipelinesDirectory, "*.json").Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(file) != "schema.json")
            {
                data.Add(Path.GetFileName(file));
            }
        }

        return data;
    }

    [Fact]
    public void PipelinesDirectory_HasTheMainJob()
    {
        Assert.Contains("testpattern-analysis.json", PipelineFiles().Cast<object[]>().Select(row => (string)row[0]));
    }

    [Theory]
    [MemberData(nameof(PipelineFiles))]
    public async Task Run_ShippedPipeline_SinksWriteEveryFrame(string fileName)
    {
        using var work = new TempDirectory();
        var file = Path.Combine(RunnerProcess.PipelinesDirectory, fileName);
        var metricsPath = Path.Combine(work.Path, "metrics.json");

        StageInputMedia(file, work.Path);
        var outcome = await RunnerProcess.RunAsync(work.Path, "run", file, "--plain", "--metrics-out", metricsPath);

        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.StandardError}");
        Assert.Contains("completed", outcome.StandardOutput, StringComparison.Ordinal);
        var metrics = JsonNode.Parse(File.ReadAllText(metricsPath))!;
        Assert.Equal("completed", (string?)metrics["outcome"]);

        var pipeline = JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        var blocks = pipeline["blocks"]!.AsObject();
        var frames = ExpectedFrameCount(blocks, work.Path);
        var live = blocks.Any(pair => (string?)pair.Value!["type"] == "odyssey");

        // A live stream cannot wait for a slow machine: frames it drops are lost before decoding, which
        // numbers the frames it decodes. Everything after the decoder then holds that many frames.
        var decoded = live ? ItemsOut(metrics, blocks.Single(pair => (string?)pair.Value!["type"] == "decode").Key) : frames;
        Assert.InRange(decoded, 1, frames);
        var checkedSinks = 0;
        foreach (var (name, block) in blocks)
        {
            var options = block!["options"];
            if (CarriesEvents(metrics, blocks, name))
            {
                // Stream events and prompts are not one per frame; OdysseyPipelineTests checks them.
                continue;
            }

            switch ((string?)block["type"])
            {
                case "jsonl":
                    CheckRecords(Path.Combine(work.Path, (string)options!["path"]!), decoded);
                    checkedSinks++;
                    break;
                case "mp4":
                    CheckVideo(Path.Combine(work.Path, (string)options!["path"]!), decoded, live);
                    checkedSinks++;
                    break;
                case "png":
                    var every = (int?)options!["every"] ?? 1;
                    CheckStills(Path.Combine(work.Path, (string)options["directory"]!), frames, every, DroppedInto(metrics, name));
                    checkedSinks++;
                    break;
                case "record":
                    CheckRecording(Path.Combine(work.Path, (string)options!["path"]!), frames);
                    checkedSinks++;
                    break;
                case "null":
                    checkedSinks++;
                    break;
                case "report":
                    // Its inputs are named records and frames, so the per-link count below does not apply.
                    var directory = Path.Combine(work.Path, (string)options!["directory"]!);
                    Assert.True(File.Exists(Path.Combine(directory, "report.html")), $"{name} wrote no report.html");
                    Assert.Equal("completed", (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "metrics.json")))!["outcome"]);
                    checkedSinks++;
                    continue;
                default:
                    continue;
            }

            // Whatever a sink did not receive was counted as dropped on a leaky link into it: nothing vanished.
            var received = metrics["blocks"]!.AsArray().Single(b => (string?)b!["name"] == name)!["itemsIn"]!.GetValue<long>();
            // Each link into the sink carries one item per frame (fan-in adds them up); a recording takes packets.
            var perLink = (string?)block["type"] == "record" ? frames : decoded;
            Assert.Equal(perLink * LinksInto(metrics, name).Count(), received + DroppedInto(metrics, name));
        }

        Assert.True(checkedSinks > 0, $"{fileName} has no sink this test knows how to check");
    }

    /// <summary>
    /// Copies the media a pipeline's file sources read (made by scripts/make-sample-clip.sh, not
    /// committed) into the test's working directory at the same relative path.
    /// </summary>
    private static void StageInputMedia(string pipelineFile, string workingDirectory)
    {
        var blocks = JsonNode.Parse(File.ReadAllText(pipelineFile), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!["blocks"]!.AsObject();
        foreach (var (_, block) in blocks)
        {
            if ((string?)block!["type"] != "file")
            {
                continue;
            }

            SampleMedia.EnsureMade();
            var relative = (string)block["options"]!["path"]!;
            var target = Path.Combine(workingDirectory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(RunnerProcess.RepositoryRoot, relative), target, overwrite: true);
        }
    }

    private static long ExpectedFrameCount(JsonObject blocks, string workingDirectory)
    {
        var source = blocks.Select(pair => pair.Value!).Single(block => (string?)block["type"] is "testpattern" or "file" or "odyssey");
        var options = source["options"];
        if ((string?)source["type"] == "odyssey")
        {
            // A live stream ends at its frame limit or at its script's end entry.
            return (long?)options?["frames"]
                ?? options!["script"]!.AsArray().Select(entry => (long?)entry!["frame"]).Last(frame => frame is not null)!.Value;
        }

        if ((string?)source["type"] == "file")
        {
            // The clips are H.264 baseline or VP8: one frame per packet, so counting packets counts frames.
            return CountPackets(Path.Combine(workingDirectory, (string)options!["path"]!));
        }

        var fps = (double?)options?["fps"] ?? 30;
        if (options?["duration"] is { } duration)
        {
            return (long)Math.Round((double)duration * fps);
        }

        return (long?)options?["frames"] ?? 300;
    }

    private static long ItemsOut(JsonNode metrics, string block) =>
        metrics["blocks"]!.AsArray().Single(b => (string?)b!["name"] == block)!["itemsOut"]!.GetValue<long>();

    private static bool CarriesEvents(JsonNode metrics, JsonObject blocks, string sink) =>
        LinksInto(metrics, sink).Any(link =>
        {
            var from = ((string)link["name"]!).Split("->")[0];
            var block = from.Split('.')[0];
            return from.EndsWith(".events", StringComparison.Ordinal) || (string?)blocks[block]?["type"] == "trigger";
        });

    private static IEnumerable<JsonNode> LinksInto(JsonNode metrics, string block) =>
        metrics["links"]!.AsArray()
            .Where(link => ((string)link!["name"]!).EndsWith($"->{block}.in", StringComparison.Ordinal))
            .Select(link => link!);

    private static long DroppedInto(JsonNode metrics, string block) =>
        LinksInto(metrics, block).Sum(link => link["dropped"]!.GetValue<long>());

    private static void CheckRecords(string path, long frames)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var byBlock = new Dictionary<string, List<long>>();
        foreach (var line in File.ReadLines(path))
        {
            var record = JsonNode.Parse(line)!;
            var block = (string)record["block"]!;
            if (!byBlock.TryGetValue(block, out var indices))
            {
                byBlock[block] = indices = [];
            }

            indices.Add((long)record["frame"]!);
        }

        Assert.NotEmpty(byBlock);
        foreach (var (block, indices) in byBlock)
        {
            // One record per frame per analysis block, in frame order, none lost.
            Assert.Equal(Enumerable.Range(0, (int)frames).Select(i => (long)i), indices);
        }
    }

    /// <summary>
    /// Every frame carries its index code in order: from 0 for a generated or file source; for a live
    /// stream, increasing from wherever the streamer's counter stood when the stream began.
    /// </summary>
    private static void CheckVideo(string path, long frames, bool live)
    {
        long? first = null;
        Assert.True(File.Exists(path), $"{path} was not written");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.partial*"));
        using var capture = new VideoCapture(path);
        Assert.True(capture.IsOpened(), $"{path} does not open");
        using var image = new Mat();
        var pool = new VideoFramePool();
        var read = 0L;
        while (capture.Read(image) && !image.Empty())
        {
            var (width, height) = (image.Width, image.Height);
            var frame = pool.Rent(width, height, PixelFormat.Bgr24);
            try
            {
                for (var row = 0; row < height; row++)
                {
                    unsafe
                    {
                        new ReadOnlySpan<byte>((void*)image.Ptr(row), width * 3).CopyTo(frame.GetRow(0, row));
                    }
                }

                Assert.True(FrameIndexCode.TryRead(frame, out var index), $"frame {read} of {path} has no readable index code");
                if (live)
                {
                    // Consecutive unless the live stream dropped frames: never repeated, never back.
                    Assert.True(first is null || index > first, $"frame {read} of {path} has index {index} after {first}");
                    first = index;
                }
                else
                {
                    Assert.Equal(read, index);
                }
            }
            finally
            {
                frame.Release();
            }

            read++;
        }

        Assert.Equal(frames, read);
    }

    private static long CountPackets(string path)
    {
        var pool = new EncodedPacketPool();
        using var reader = new MediaFileReader(path, pool);
        var count = 0L;
        while (reader.TryRead(out var packet))
        {
            packet.Release();
            count++;
        }

        return count;
    }

    private static void CheckRecording(string path, long frames)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        Assert.False(File.Exists(MediaFileWriter.PartialPathFor(path)), $"{path} was left under its partial name too");
        Assert.Equal(frames, CountPackets(path));
    }

    private static void CheckStills(string directory, long frames, int every, long dropped)
    {
        var files = Directory.GetFiles(directory, "*.png");
        var expected = (frames + every - 1) / every;
        if (dropped == 0)
        {
            Assert.Equal(expected, files.Length);
        }
        else
        {
            // A leaky link may have dropped some of the frames the sink would have kept.
            Assert.InRange(files.Length, 1, expected);
        }

        Assert.DoesNotContain(Directory.GetFiles(directory), f => !f.EndsWith(".png", StringComparison.Ordinal));
        foreach (var file in files)
        {
            using var image = Cv2.ImRead(file, ImreadModes.Unchanged);
            Assert.False(image.Empty(), $"{file} does not decode");
            Assert.True(image.Width > 0 && image.Height > 0);
        }
    }
}
