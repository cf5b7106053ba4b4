using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Odyssey.Runner.Tests.EndToEnd;

/// <summary>
/// The shipped Odyssey pipelines run by the runner executable on the built-in emulator (no API key):
/// what the quickstart writes and replays, the closed loop reaching the world, and a streamer that drops
/// the connection mid-stream with reconnect on and off.
/// </summary>
public class OdysseyPipelineTests
{
    /// <summary>quickstart.json's script ends the stream at this frame.</summary>
    private const int QuickstartFrames = 120;

    private static string Quickstart => Path.Combine(RunnerProcess.PipelinesDirectory, "quickstart.json");

    [Fact]
    public async Task Quickstart_OnTheEmulator_RecordsEventsVideoAndRecordingAgree()
    {
        using var work = new TempDirectory();
        var outcome = await RunnerProcess.RunAsync(work.Path, "run", Quickstart, "--plain");

        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.StandardError}");
        Assert.Contains("built-in emulator", outcome.StandardError, StringComparison.Ordinal);
        var output = Path.Combine(work.Path, "out", "quickstart");

        // One motion and one scene-change record per decoded frame, each kind in frame order. The decoder
        // numbers what it decodes: all 120 frames unless a loaded machine made the live stream drop some.
        var live = ReadRecords(Path.Combine(output, "analysis.jsonl"));
        var decoded = live.Count(r => (string)r["kind"]! == "motion");
        Assert.InRange(decoded, 1, QuickstartFrames);
        foreach (var kind in new[] { "motion", "sceneChange" })
        {
            Assert.Equal(Enumerable.Range(0, decoded).Select(i => (long)i), live.Where(r => (string)r["kind"]! == kind).Select(r => (long)r["frame"]!));
        }

        // Encoded frames are small: the links from the source hold 10 s of them, so even a loaded machine loses none.
        Assert.DoesNotContain("frames-dropped", File.ReadAllText(Path.Combine(output, "events.jsonl")), StringComparison.Ordinal);

        // The stream's life in order: the two scripted prompts acknowledged between start and end, at or after their frames.
        var events = ReadRecords(Path.Combine(output, "events.jsonl")).Where(e => (string)e["event"]! != "frames-dropped").ToList();
        Assert.Equal(
            ["connected", "started", "acknowledged:it starts to rain", "acknowledged:a deer walks by", "ended"],
            events.Select(e => (string)e["event"]! + ((string)e["event"]! == "acknowledged" ? ":" + (string)e["prompt"]! : "")));
        Assert.All(events, e => Assert.Equal(1, (int)e["stream"]!));
        Assert.True((long)events[2]["frame"]! >= 30 && (long)events[3]["frame"]! >= 75, "a prompt was acknowledged before its scripted frame");
        Assert.Equal(QuickstartFrames, (long)events[^1]["frame"]!);

        // The MP4 (re-encoded) plays with every decoded frame; the recording (remuxed) holds every packet sent.
        Assert.Equal(decoded, CountFrames(Path.Combine(output, "video.mp4")));
        Assert.Equal(QuickstartFrames, CountFrames(Path.Combine(output, "stream.mp4")));

        // The recording replays through the same analysis to the same records.
        var replay = Path.Combine(work.Path, "replay.json");
        await File.WriteAllTextAsync(replay, """
            {
              "blocks": {
                "source":   { "type": "file", "options": { "path": "out/quickstart/stream.mp4" } },
                "decode":   { "type": "decode", "options": { "threads": 1 } },
                "convert":  { "type": "convert", "options": { "format": "bgr24", "matrix": "bt601" } },
                "motion":   { "type": "motion", "options": { "pixelThreshold": 25 } },
                "scenes":   { "type": "sceneChange", "options": { "threshold": 0.5 } },
                "analysis": { "type": "jsonl", "options": { "path": "out/replay/analysis.jsonl" } }
              },
              "links": [ "source -> decode -> convert -> motion -> analysis", "convert -> scenes -> analysis" ]
            }
            """);
        var replayed = await RunnerProcess.RunAsync(work.Path, "run", replay, "--plain");
        Assert.True(replayed.ExitCode == 0, $"replay exit {replayed.ExitCode}: {replayed.StandardError}");
        AssertSameRecords(Comparable(live), Comparable(ReadRecords(Path.Combine(work.Path, "out", "replay", "analysis.jsonl"))));
    }

    [Fact]
    public async Task ClosedLoop_SceneCutOnTheEmulator_TriggerPromptReachesTheWorld()
    {
        using var work = new TempDirectory();
        var outcome = await RunnerProcess.RunAsync(work.Path, "run", Path.Combine(RunnerProcess.PipelinesDirectory, "closed-loop.json"), "--plain");

        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.StandardError}");
        var output = Path.Combine(work.Path, "out", "closed-loop");

        // The scripted prompt changed the world; the analysis saw the cut and the trigger fired after it.
        var cuts = ReadRecords(Path.Combine(output, "scenes.jsonl")).Where(r => (bool)r["cut"]! && (long)r["frame"]! >= 60).ToList();
        Assert.NotEmpty(cuts);
        var prompts = ReadRecords(Path.Combine(output, "prompts.jsonl"));
        Assert.Contains(prompts, p => (string)p["prompt"]! == "something moves" && (long)p["frame"]! >= (long)cuts[0]["frame"]!);

        // The source sent it through its interact port and the streamer acknowledged it, after the scripted one.
        var events = ReadRecords(Path.Combine(output, "events.jsonl")).Select(e => (string)e["event"]! + ":" + (string?)e["origin"] + ":" + (string?)e["prompt"]).ToList();
        var scripted = events.IndexOf("acknowledged:script:it starts to rain");
        var looped = events.LastIndexOf("acknowledged:interact:something moves");
        Assert.True(scripted >= 0 && looped > scripted, string.Join(", ", events));

        // The emulator's own log of the stream (its recording's events) shows the prompt arrived.
        var log = Directory.GetFiles(Path.Combine(output, "emulator"), "*.events.jsonl").Single();
        Assert.Contains(ReadRecords(log), e => (string)e["type"]! == "interact" && (string)e["prompt"]! == "something moves");
    }

    [Fact]
    public async Task Quickstart_StreamerDropsWithReconnect_ContinuesInNewStreamsAndFinalisesSinks()
    {
        using var work = new TempDirectory();
        var outcome = await RunnerProcess.RunAsync(work.Path, "run", Quickstart, "--plain", "--set", "odyssey.emulatorDropAfter=1.5", "--set", "odyssey.reconnect=true");

        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.StandardError}");
        var output = Path.Combine(work.Path, "out", "quickstart");
        var events = ReadRecords(Path.Combine(output, "events.jsonl")).Where(e => (string)e["event"]! != "frames-dropped").ToList();
        var names = events.Select(e => (string)e["event"]!).ToList();
        Assert.Contains("disconnected", names);
        var reconnected = names.IndexOf("reconnected");
        Assert.True(reconnected > names.IndexOf("disconnected") && names[reconnected + 1] == "started", string.Join(", ", names));
        Assert.True((int)events[^1]["stream"]! >= 2, "the run never moved to a new stream");
        Assert.True(names[^1] == "ended", string.Join(", ", names));

        // Frame indices run on across streams, and every sink finished its file: the recording holds
        // every packet the source sent (its count ends the stream), the MP4 every frame decoded.
        var motion = ReadRecords(Path.Combine(output, "analysis.jsonl")).Where(r => (string)r["kind"]! == "motion").Select(r => (long)r["frame"]!).ToList();
        Assert.InRange(motion.Count, 1, QuickstartFrames);
        Assert.Equal(Enumerable.Range(0, motion.Count).Select(i => (long)i), motion);
        Assert.Equal(QuickstartFrames, CountFrames(Path.Combine(output, "stream.mp4")));
        Assert.Equal(motion.Count, CountFrames(Path.Combine(output, "video.mp4")));
    }

    [Fact]
    public async Task Quickstart_StreamerDropsWithoutReconnect_ExitOneWithOneClearErrorAndSinksFinalised()
    {
        using var work = new TempDirectory();
        var outcome = await RunnerProcess.RunAsync(work.Path, "run", Quickstart, "--plain", "--set", "odyssey.emulatorDropAfter=1.5", "--set", "odyssey.reconnect=false");

        Assert.Equal(1, outcome.ExitCode);
        var failures = outcome.StandardError.Split('\n').Where(line => line.Contains("failed", StringComparison.Ordinal)).ToList();
        var failure = Assert.Single(failures);
        Assert.Contains("block \"odyssey\"", failure, StringComparison.Ordinal);
        Assert.Contains("lost its connection", failure, StringComparison.Ordinal);
        Assert.Contains("\"reconnect\" is off", failure, StringComparison.Ordinal);

        // What arrived before the drop is in finished files: as many records as recorded frames.
        var output = Path.Combine(work.Path, "out", "quickstart");
        var motion = ReadRecords(Path.Combine(output, "analysis.jsonl")).Count(r => (string)r["kind"]! == "motion");
        var recorded = CountFrames(Path.Combine(output, "stream.mp4"));
        Assert.InRange(recorded, 1, QuickstartFrames - 1);
        Assert.InRange(motion, 1, recorded);

        // A failure aborts the run: frames still in flight are released, not drained, so the MP4 may hold fewer.
        Assert.InRange(CountFrames(Path.Combine(output, "video.mp4")), 1, motion);
        Assert.Empty(Directory.GetFiles(output, "*.partial*"));
        Assert.Equal("disconnected", ReadRecords(Path.Combine(output, "events.jsonl")).Select(e => (string)e["event"]!).Last(e => e != "frames-dropped"));
    }

    private static void AssertSameRecords(List<string> live, List<string> replayed)
    {
        Assert.Equal(live.Count, replayed.Count);
        for (var i = 0; i < live.Count; i++)
        {
            Assert.True(live[i] == replayed[i], $"record {i} differs:\n live:   {live[i]}\n replay: {replayed[i]}");
        }
    }

    private static List<JsonNode> ReadRecords(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        return [.. File.ReadLines(path).Where(line => line.Length > 0).Select(line => JsonNode.Parse(line)!)];
    }

    /// <summary>Records keyed and stripped of the wall-clock capture time, the one field a replay cannot repeat.</summary>
    private static List<string> Comparable(List<JsonNode> records) =>
        [.. records
            .Select(r =>
            {
                var copy = r.DeepClone().AsObject();
                copy.Remove("captureTime");
                return copy.ToJsonString();
            })
            .Order(StringComparer.Ordinal)];

    /// <summary>Frames in the file's video stream, decoded and counted by ffprobe.</summary>
    private static long CountFrames(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var info = new ProcessStartInfo("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var text = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(RunnerProcess.Timeout), $"ffprobe did not finish on {path}");
        Assert.True(process.ExitCode == 0, $"ffprobe failed on {path}: {process.StandardError.ReadToEnd()}");
        return long.Parse(text.Trim().TrimEnd(','), CultureInfo.InvariantCulture);
    }
}
