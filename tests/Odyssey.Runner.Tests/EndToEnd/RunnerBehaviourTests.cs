using System.Diagnostics;
using System.Text.Json.Nodes;
using Odyssey.Pipeline;
using Odyssey.Pipeline.Blocks;

namespace Odyssey.Runner.Tests.EndToEnd;

public class RunnerBehaviourTests
{
    private static string MainJob => Path.Combine(RunnerProcess.PipelinesDirectory, "testpattern-analysis.json");

    [Fact]
    public async Task Run_SetOverride_ChangesTheFrameCount()
    {
        using var work = new TempDirectory();

        var outcome = await RunnerProcess.RunAsync(work.Path, "run", MainJob, "--plain", "--set", "source.frames=12");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(12, File.ReadAllLines(Path.Combine(work.Path, "out/testpattern-analysis/motion.jsonl")).Length);
    }

    [Fact]
    public async Task Run_SinkCannotOpenItsFile_ExitsOneNamingTheBlock()
    {
        using var work = new TempDirectory();
        File.WriteAllText(Path.Combine(work.Path, "blocker"), "a file where the sink wants a directory");

        var outcome = await RunnerProcess.RunAsync(work.Path, "run", MainJob, "--plain", "--set", "records.path=blocker/motion.jsonl");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("block \"records\" failed", outcome.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", outcome.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BlockFailsAndMetricsCannotBeWritten_ReportsBothAndExitsOne()
    {
        using var work = new TempDirectory();
        File.WriteAllText(Path.Combine(work.Path, "blocker"), "a file where the sink wants a directory");
        Directory.CreateDirectory(Path.Combine(work.Path, "taken"));

        var outcome = await RunnerProcess.RunAsync(work.Path, "run", MainJob, "--plain", "--set", "records.path=blocker/motion.jsonl",
            "--metrics-out", Path.Combine(work.Path, "taken"));

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("block \"records\" failed", outcome.StandardError, StringComparison.Ordinal);
        Assert.Contains("--metrics-out", outcome.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CompletesButMetricsCannotBeWritten_SaysSoAndExitsOne()
    {
        using var work = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(work.Path, "taken"));

        var outcome = await RunnerProcess.RunAsync(work.Path, "run", MainJob, "--plain", "--set", "source.frames=3",
            "--metrics-out", Path.Combine(work.Path, "taken"));

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("completed", outcome.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--metrics-out", outcome.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_BrokenFile_ExitsTwoWithEveryProblemAndItsPath()
    {
        using var work = new TempDirectory();
        var file = Path.Combine(work.Path, "broken.json");
        File.WriteAllText(file, """
            {
              "blocks": {
                "source": { "type": "testpattern", "options": { "widht": 320 } },
                "sink": { "type": "nosuchblock" }
              },
              "links": [ "source -> sink" ]
            }
            """);

        var outcome = await RunnerProcess.RunAsync(work.Path, "validate", file);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("$.blocks.source.options.widht", outcome.StandardError, StringComparison.Ordinal);
        Assert.Contains("$.blocks.sink.type", outcome.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_FormatGuideExample_PrintsWhatTheGuideSays()
    {
        // pipelines/README.md shows a broken file and the runner's output for it; keep the two true.
        using var work = new TempDirectory();
        var guide = File.ReadAllText(Path.Combine(RunnerProcess.PipelinesDirectory, "README.md"));
        var example = guide.IndexOf("Given `bad.json`:", StringComparison.Ordinal);
        Assert.True(example >= 0, "the guide no longer has the bad.json example");
        var file = Between(guide, "```json\n", "```", example);
        var expected = Between(guide, "```text\n", "```", example);
        File.WriteAllText(Path.Combine(work.Path, "bad.json"), file);

        var outcome = await RunnerProcess.RunAsync(work.Path, "validate", "bad.json");

        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal(expected, outcome.StandardError);
    }

    private static string Between(string text, string open, string close, int from)
    {
        var start = text.IndexOf(open, from, StringComparison.Ordinal) + open.Length;
        return text[start..text.IndexOf(close, start, StringComparison.Ordinal)];
    }

    [Fact]
    public async Task Validate_ShippedMainJob_IsValid()
    {
        using var work = new TempDirectory();

        var outcome = await RunnerProcess.RunAsync(work.Path, "validate", MainJob);

        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains("valid (8 blocks, 8 links)", outcome.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownCommand_ExitsTwoWithUsage()
    {
        using var work = new TempDirectory();

        var outcome = await RunnerProcess.RunAsync(work.Path, "launch");

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("usage: odyssey-pipeline", outcome.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Sigint_DrainsAndFinalisesEverySink()
    {
        using var work = new TempDirectory();
        var metricsPath = Path.Combine(work.Path, "metrics.json");
        using var process = Process.Start(RunnerProcess.InterruptibleStartInfo(work.Path, "run", MainJob, "--plain", "--progress-interval", "0.2",
            "--set", "source.frames=0", "--set", "source.realtime=true", "--metrics-out", metricsPath))!;
        // Read its output from the start: a runner blocked on a full stderr pipe would not be draining frames.
        var exited = RunnerProcess.WaitAsync(process);
        var records = Path.Combine(work.Path, "out/testpattern-analysis/motion.jsonl");

        // Wait until frames are flowing, then interrupt as a user at the terminal would.
        using var started = new CancellationTokenSource(RunnerProcess.Timeout);
        while (!File.Exists(records) || new FileInfo(records).Length == 0)
        {
            Assert.False(exited.IsCompleted, "the runner ended before it was interrupted");
            await Task.Delay(100, started.Token);
        }

        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(started.Token);
        }

        var outcome = await exited;

        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.StandardError}");
        Assert.Contains("stopped: drained and finalised", outcome.StandardOutput, StringComparison.Ordinal);
        var metrics = JsonNode.Parse(File.ReadAllText(metricsPath))!;
        Assert.Equal("stopped", (string?)metrics["outcome"]);
        var produced = metrics["blocks"]!.AsArray().Single(b => (string?)b!["name"] == "source")!["itemsOut"]!.GetValue<long>();
        Assert.True(produced > 0);
        // Every frame the source produced reached the records: nothing in flight was lost on stop.
        Assert.Equal(produced, File.ReadAllLines(records).Length);
        var video = Path.Combine(work.Path, "out/testpattern-analysis/blurred.mp4");
        Assert.True(File.Exists(video), "the MP4 was not finalised");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(video)!, "*.partial*"));
        using var capture = new OpenCvSharp.VideoCapture(video);
        Assert.True(capture.IsOpened());
        Assert.Equal(produced, (long)capture.Get(OpenCvSharp.VideoCaptureProperties.FrameCount));
    }

    [Fact]
    public async Task Run_SigintOnLoopingFile_RecordingAndRecordsHoldEveryPacketSent()
    {
        using var work = new TempDirectory();
        SampleMedia.EnsureMade();
        const string Clip = "samples/media/sample.mp4";
        Directory.CreateDirectory(Path.Combine(work.Path, "samples/media"));
        File.Copy(Path.Combine(RunnerProcess.RepositoryRoot, Clip), Path.Combine(work.Path, Clip));
        var metricsPath = Path.Combine(work.Path, "metrics.json");
        var pipeline = Path.Combine(RunnerProcess.PipelinesDirectory, "file-analysis.json");
        using var process = Process.Start(RunnerProcess.InterruptibleStartInfo(work.Path, "run", pipeline, "--plain",
            "--set", "source.loop=true", "--set", "source.realtime=true", "--metrics-out", metricsPath))!;
        var exited = RunnerProcess.WaitAsync(process);
        var records = Path.Combine(work.Path, "out/file-analysis/motion.jsonl");

        // Past the first pass (90 frames at 30 fps), so the recording spans a loop, then interrupt.
        using var started = new CancellationTokenSource(RunnerProcess.Timeout);
        while (!File.Exists(records) || File.ReadAllLines(records).Length < 100)
        {
            Assert.False(exited.IsCompleted, "the runner ended before it was interrupted");
            await Task.Delay(100, started.Token);
        }

        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(started.Token);
        }

        var outcome = await exited;

        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.StandardError}");
        var metrics = JsonNode.Parse(File.ReadAllText(metricsPath))!;
        Assert.Equal("stopped", (string?)metrics["outcome"]);
        var sent = metrics["blocks"]!.AsArray().Single(b => (string?)b!["name"] == "source")!["itemsOut"]!.GetValue<long>();
        Assert.True(sent > 90, "the source looped");
        Assert.Equal(sent, File.ReadAllLines(records).Length);
        var copy = Path.Combine(work.Path, "out/file-analysis/copy.mkv");
        Assert.True(File.Exists(copy), "the recording was not finalised");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(copy)!, "*.partial*"));
        var pool = new Odyssey.Media.EncodedPacketPool();
        using var reader = new Odyssey.Media.Containers.MediaFileReader(copy, pool);
        var packets = 0L;
        var last = TimeSpan.MinValue;
        while (reader.TryRead(out var packet))
        {
            Assert.True(packet.Pts > last, $"packet {packets} goes back in time across the loop");
            last = packet.Pts;
            packet.Release();
            packets++;
        }

        Assert.Equal(sent, packets);
    }

    [Fact]
    public async Task Graph_MainJob_PrintsMermaidAndDotWithEveryBlock()
    {
        using var work = new TempDirectory();

        var mermaid = await RunnerProcess.RunAsync(work.Path, "graph", MainJob);
        var dot = await RunnerProcess.RunAsync(work.Path, "graph", MainJob, "--format", "dot");

        Assert.Equal(0, mermaid.ExitCode);
        Assert.StartsWith("flowchart LR", mermaid.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, dot.ExitCode);
        Assert.StartsWith("digraph pipeline {", dot.StandardOutput, StringComparison.Ordinal);
        foreach (var block in new[] { "source", "convert", "blur", "motion", "records", "video", "stills" })
        {
            Assert.Contains($"b_{block}[", mermaid.StandardOutput, StringComparison.Ordinal);
            Assert.Contains($"\"{block}\" [label=", dot.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Contains("\"blur\" -> \"stills\" [label=\"out→in [4]\"]", dot.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blocks_ListsEveryBuiltInTypeAndTheSchema()
    {
        using var work = new TempDirectory();

        var list = await RunnerProcess.RunAsync(work.Path, "blocks");
        var schema = await RunnerProcess.RunAsync(work.Path, "blocks", "--schema");

        Assert.Equal(0, list.ExitCode);
        foreach (var block in BuiltInBlocks.CreateRegistry().Blocks)
        {
            Assert.Contains(block.TypeName + " (", list.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Equal(0, schema.ExitCode);
        Assert.Equal(PipelineSchema.Generate(BuiltInBlocks.CreateRegistry()), schema.StandardOutput);
    }

    [Fact]
    public void SchemaFile_MatchesTheRegisteredBlocks()
    {
        // Regenerate with: scripts/run.sh blocks --schema > pipelines/schema.json
        var committed = File.ReadAllText(Path.Combine(RunnerProcess.PipelinesDirectory, "schema.json"));

        Assert.Equal(PipelineSchema.Generate(BuiltInBlocks.CreateRegistry()), committed);
    }
}
