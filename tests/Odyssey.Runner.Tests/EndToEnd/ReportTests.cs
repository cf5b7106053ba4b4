using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Odyssey.Runner.Tests;

/// <summary>The report of the quickstart run: written by the report sink, rendered again by the report command, opened by chromium offline.</summary>
public sealed partial class ReportTests
{
    private const string RunDirectory = "out/testpattern-analysis";

    [Fact]
    public async Task QuickstartRun_ReportSink_PlotsHaveOnePointPerRecordAndNeedNoNetwork()
    {
        using var work = new TempDirectory();
        var outcome = await RunnerProcess.RunAsync(work.Path, "run", Path.Combine(RunnerProcess.PipelinesDirectory, "testpattern-analysis.json"), "--plain");
        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.StandardError}");

        var runDirectory = Path.Combine(work.Path, RunDirectory);
        var records = File.ReadLines(Path.Combine(runDirectory, "motion.jsonl")).Count(line => line.Length > 0);
        var html = await File.ReadAllTextAsync(Path.Combine(runDirectory, "report.html"));
        AssertPlots(html, records, ["motion.meanDifference", "motion.movingFraction"]);
        Assert.Matches("<svg id=\"graph\"", html);
        Assert.Equal(7, Regex.Matches(html, "<g class=\"block\">").Count - 1); // 8 blocks: source … report
        Assert.Contains("<table id=\"metrics-blocks\">", html, StringComparison.Ordinal);
        Assert.Contains("Outcome: <b>completed</b>", html, StringComparison.Ordinal);

        // Self-contained: nothing is fetched from anywhere (the SVG namespace is a name, not a request).
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);

        var screenshot = await ScreenshotOfflineAsync(Path.Combine(runDirectory, "report.html"), work.Path);
        ScreenImages.SaveArtefact("report-quickstart.png", screenshot);
        using var image = ScreenImages.Decode(screenshot);
        Assert.True(ScreenImages.Spread(image, new OpenCvSharp.Rect(0, 0, image.Width, image.Height)) > ScreenImages.BlankStandardDeviation, "the report rendered blank");
    }

    [Fact]
    public async Task ReportCommand_RunDirectory_RendersTheSameReportAgain()
    {
        using var work = new TempDirectory();
        var outcome = await RunnerProcess.RunAsync(work.Path, "run", Path.Combine(RunnerProcess.PipelinesDirectory, "testpattern-analysis.json"), "--plain", "--set", "source.frames=40");
        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.StandardError}");
        var report = Path.Combine(work.Path, RunDirectory, "again.html");

        var rendered = await RunnerProcess.RunAsync(work.Path, "report", RunDirectory, "--out", report);

        Assert.True(rendered.ExitCode == 0, $"exit {rendered.ExitCode}: {rendered.StandardError}");
        Assert.Contains(report, rendered.StandardOutput, StringComparison.Ordinal);
        AssertPlots(await File.ReadAllTextAsync(report), 40, ["motion.meanDifference", "motion.movingFraction"]);
    }

    [Fact]
    public async Task ReportCommand_MissingDirectory_ExitsTwoNamingIt()
    {
        using var work = new TempDirectory();

        var outcome = await RunnerProcess.RunAsync(work.Path, "report", "no-such-run");

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("no-such-run", outcome.StandardError, StringComparison.Ordinal);
        Assert.Contains("does not exist", outcome.StandardError, StringComparison.Ordinal);
    }

    /// <summary>Every expected series is plotted once, with exactly one point per record.</summary>
    private static void AssertPlots(string html, int records, string[] series)
    {
        Assert.True(records > 0);
        foreach (var name in series)
        {
            var match = Regex.Match(html, $"<polyline class=\"series\" data-series=\"{Regex.Escape(name)}\" data-points=\"(\\d+)\"[^>]* points=\"([^\"]*)\"");
            Assert.True(match.Success, $"no plot of {name}");
            var points = match.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(records, points.Length);
            Assert.Equal(records, int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.All(points, point => Assert.Matches(@"^-?[\d.]+,-?[\d.]+$", point));
        }
    }

    /// <summary>
    /// chromium's one-shot screenshot of a file URL, inside a network namespace with no interface but a
    /// down loopback when unshare is allowed, so any attempt to fetch something would fail.
    /// </summary>
    private static async Task<byte[]> ScreenshotOfflineAsync(string htmlPath, string workDirectory)
    {
        Assert.True(HeadlessChromium.IsInstalled, $"{HeadlessChromium.Executable} is missing: run scripts/setup.sh");
        var screenshot = Path.Combine(workDirectory, "report.png");
        var profile = Path.Combine(workDirectory, "chromium-profile");
        var arguments = new List<string>(HeadlessChromium.CommonFlags(profile))
        {
            "--window-size=1100,1800", $"--screenshot={screenshot}", new Uri(htmlPath).AbsoluteUri,
        };
        var offline = await CanUnshareNetworkAsync();
        var info = new ProcessStartInfo(offline ? "unshare" : HeadlessChromium.Executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        if (offline)
        {
            info.ArgumentList.Add("-n");
            info.ArgumentList.Add(HeadlessChromium.Executable);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(File.Exists(screenshot), $"chromium wrote no screenshot (exit {process.ExitCode}): {await stderr}");
        return await File.ReadAllBytesAsync(screenshot);
    }

    private static async Task<bool> CanUnshareNetworkAsync()
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("unshare", "-n true") { RedirectStandardError = true })!;
            await probe.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
