using System.Text.RegularExpressions;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>The report renderer on hand-made run directories, and the report sink inside a real run.</summary>
public sealed class RunReportTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private readonly string _folder = Directory.CreateTempSubdirectory("odyssey-report-test-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Render_CutsEventsAndDuplicates_MarksCutsShowsThumbnailsAndCountsEachRecordOnce()
    {
        var lines = new List<string>();
        for (var frame = 0; frame < 10; frame++)
        {
            var cut = frame is 3 or 7 ? "true" : "false";
            lines.Add($$"""{"kind":"sceneChange","block":"scenes","frame":{{frame}},"ptsMs":{{frame * 40}},"captureTime":"2026-01-01T00:00:00Z","distance":0.{{frame}},"cut":{{cut}}}""");
        }

        await File.WriteAllLinesAsync(Path.Combine(_folder, "records.jsonl"), lines);

        // The same records written by a second sink must not double the points.
        await File.WriteAllLinesAsync(Path.Combine(_folder, RunDirectoryTestNames.ReportRecords), [.. lines, "not json", """{"no":"kind"}"""]);
        await File.WriteAllLinesAsync(Path.Combine(_folder, RunDirectory.EventsFile),
        [
            """{"kind":"interact","frame":4,"prompt":"a red door"}""",
            """{"type":"stream_started","ptsMs":0,"text":"s-1"}""",
            """{"event":"interaction","ptsMs":300,"prompt":"open it"}""",
            "{broken",
        ]);
        Directory.CreateDirectory(Path.Combine(_folder, RunDirectory.ThumbnailsFolder));
        foreach (var frame in new[] { 3, 5, 7, 9 })
        {
            using var image = new Mat(24, 32, MatType.CV_8UC3, new Scalar(frame * 20, 80, 160));
            await File.WriteAllBytesAsync(Path.Combine(_folder, RunDirectory.ThumbnailsFolder, $"frame-{frame:D6}.jpg"), image.ImEncode(".jpg"));
        }

        var path = await RunReport.WriteAsync(_folder);
        var html = await File.ReadAllTextAsync(path);

        var plot = Regex.Match(html, "data-series=\"scenes.distance\" data-points=\"(\\d+)\"[^>]* points=\"([^\"]*)\"");
        Assert.True(plot.Success, "no plot of scenes.distance");
        Assert.Equal(10, plot.Groups[2].Value.Split(' ').Length);
        // Two cuts, marked on the plot and on the timeline.
        Assert.Equal(4, Regex.Matches(html, "<line class=\"cut\"[^>]*><title>cut at frame").Count);
        Assert.Equal(2, ImagesIn(html, "thumbs-cuts"));

        // Interactions: frame 4 shows the first thumbnail after it (5); ptsMs 300 is frame 8, shown by 9.
        Assert.Equal(2, ImagesIn(html, "thumbs-interactions"));
        Assert.Contains("frame 4: a red door", html, StringComparison.Ordinal);
        Assert.Contains("frame 8: open it", html, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Matches(html, "<circle class=\"event\"").Count);
        Assert.Contains("2 of 12 lines are not analysis records", html, StringComparison.Ordinal);
        Assert.Contains("events.jsonl line 4: not valid JSON", html, StringComparison.Ordinal);
        Assert.Contains("No graph.json", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_EmptyDirectory_SaysWhatIsMissingInsteadOfFailing()
    {
        var html = await File.ReadAllTextAsync(await RunReport.WriteAsync(_folder));

        Assert.Contains("No graph.json", html, StringComparison.Ordinal);
        Assert.Contains("No metrics.json", html, StringComparison.Ordinal);
        Assert.Contains("No analysis records", html, StringComparison.Ordinal);
        Assert.Contains("No events file", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_MissingDirectory_ThrowsNamingIt()
    {
        var missing = Path.Combine(_folder, "nope");

        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => RunReport.WriteAsync(missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportSink_EveryFrameACut_ThumbnailPerCutGraphMetricsAndNoFrameLeaked()
    {
        // Threshold 0 makes every frame a cut: the hardest case for matching records with frames.
        var definition = PipelineLoader.Load("""
            {
              "blocks": {
                "source": { "type": "testpattern", "options": { "width": 160, "height": 120, "frames": 40 } },
                "gray":   { "type": "grayscale" },
                "scenes": { "type": "sceneChange", "options": { "threshold": 0 } },
                "report": { "type": "report", "options": { "directory": "run", "thumbnailEvery": 0, "thumbnailWidth": 64 } }
              },
              "links": [ "source -> gray -> scenes -> report.records", "gray -> report.frames" ]
            }
            """, BuiltInBlocks.CreateRegistry(), _folder).EnsureValid();
        var pool = new VideoFramePool();

        var result = await PipelineExecution.Start(definition, new PipelineRunOptions { FramePool = pool, WorkingDirectory = _folder }).Completion.WaitAsync(Timeout);

        Assert.True(result.Succeeded, result.Fault?.ToString());
        Assert.Equal(0, pool.Outstanding);
        var run = Path.Combine(_folder, "run");
        Assert.Equal(40, Directory.GetFiles(Path.Combine(run, RunDirectory.ThumbnailsFolder), "frame-*.jpg").Length);
        Assert.True(File.Exists(Path.Combine(run, RunDirectory.GraphFile)));
        Assert.Contains("\"outcome\": \"completed\"", await File.ReadAllTextAsync(Path.Combine(run, RunDirectory.MetricsFile)), StringComparison.Ordinal);
        var html = await File.ReadAllTextAsync(Path.Combine(run, RunDirectory.ReportFile));
        Assert.Equal(40, ImagesIn(html, "thumbs-cuts"));
        Assert.Contains("data-series=\"scenes.distance\" data-points=\"40\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("partial", string.Join(' ', Directory.GetFiles(run, "*", SearchOption.AllDirectories)), StringComparison.Ordinal);
    }

    private static int ImagesIn(string html, string id)
    {
        var section = Regex.Match(html, $"<div class=\"thumbs\" id=\"{id}\">(.*?)</div>", RegexOptions.Singleline);
        return section.Success ? Regex.Matches(section.Groups[1].Value, "<img ").Count : 0;
    }

    private static class RunDirectoryTestNames
    {
        public const string ReportRecords = ReportSinkBlock.RecordsFile;
    }
}
