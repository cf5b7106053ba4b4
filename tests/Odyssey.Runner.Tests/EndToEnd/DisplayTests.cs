using System.Diagnostics;
using OpenCvSharp;

namespace Odyssey.Runner.Tests;

/// <summary>The display sink: a HighGUI window under Xvfb that shows the frames, and a clear refusal without a display.</summary>
public sealed class DisplayTests
{
    private const string Xwd = "/usr/bin/xwd";
    private const int Width = 320;
    private const int Height = 240;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly string Pipeline = $$"""
        {
          "blocks": {
            "source": { "type": "testpattern", "options": { "width": {{Width}}, "height": {{Height}}, "fps": 30, "frames": 0, "realtime": true, "format": "i420" } },
            "window": { "type": "display", "options": { "title": "odyssey display test" } }
          },
          "links": [ "source -> window" ]
        }
        """;

    [Fact]
    public async Task Validate_NoDisplay_FailsNamingTheBlockAndTheVariable()
    {
        using var work = new TempDirectory();
        var file = Path.Combine(work.Path, "display.json");
        await File.WriteAllTextAsync(file, Pipeline);
        var info = RunnerProcess.StartInfo(work.Path, "run", file);
        info.Environment.Remove("DISPLAY");

        using var process = Process.Start(info)!;
        var outcome = await RunnerProcess.WaitAsync(process);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("$.blocks.window.options", outcome.StandardError, StringComparison.Ordinal);
        Assert.Contains("block \"window\" (display)", outcome.StandardError, StringComparison.Ordinal);
        Assert.Contains("$DISPLAY is not set", outcome.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_DisplayNobodyServes_FailsNamingTheDisplay()
    {
        using var work = new TempDirectory();
        var file = Path.Combine(work.Path, "display.json");
        await File.WriteAllTextAsync(file, Pipeline);
        var info = RunnerProcess.StartInfo(work.Path, "validate", file);
        info.Environment["DISPLAY"] = $":{FreeDisplayNumber()}";

        using var process = Process.Start(info)!;
        var outcome = await RunnerProcess.WaitAsync(process);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains($"cannot open display \"{info.Environment["DISPLAY"]}\"", outcome.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnderXvfb_WindowShowsTheFramesAsTheyMoveOn()
    {
        Assert.True(XvfbServer.IsInstalled && File.Exists(Xwd), "Xvfb or xwd is missing: run scripts/setup.sh (it installs xvfb and x11-apps)");
        using var work = new TempDirectory();
        await using var xvfb = await XvfbServer.StartAsync(Path.Combine(work.Path, "xvfb.log"));
        var file = Path.Combine(work.Path, "display.json");
        await File.WriteAllTextAsync(file, Pipeline);
        var info = RunnerProcess.StartInfo(work.Path, "run", file, "--plain");

        // Only the runner gets the display: the window opens in that child, never in the test host.
        info.Environment["DISPLAY"] = xvfb.Display;
        using var runner = Process.Start(info)!;
        try
        {
            var exited = RunnerProcess.WaitAsync(runner);

            // Without a window manager the window sits at the top-left corner, the frame filling it.
            var region = new Rect(0, 0, Width, Height);
            var first = await WaitForFrameAsync(xvfb, work.Path, region, exited, after: -1);
            var second = await WaitForFrameAsync(xvfb, work.Path, region, exited, after: first.Index);
            ScreenImages.SaveArtefact("display-1.png", first.Png);
            ScreenImages.SaveArtefact("display-2.png", second.Png);
            Assert.True(second.Index > first.Index);

            PreviewTests.Terminate(runner);
            var outcome = await exited;
            Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.StandardError}");
        }
        finally
        {
            if (!runner.HasExited)
            {
                runner.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Screenshots the display until the window shows a readable frame index above <paramref name="after"/>.</summary>
    private static async Task<(long Index, byte[] Png)> WaitForFrameAsync(XvfbServer xvfb, string directory, Rect region, Task<RunnerProcess.Outcome> exited, long after)
    {
        var deadline = Stopwatch.StartNew();
        var seen = "nothing";
        while (deadline.Elapsed < Patience)
        {
            if (exited.IsCompleted)
            {
                var outcome = await exited;
                Assert.Fail($"the runner exited ({outcome.ExitCode}) while the window was expected: {outcome.StandardError}");
            }

            var png = await ScreenshotAsync(xvfb.Display, directory);
            using var image = ScreenImages.Decode(png);
            var spread = ScreenImages.Spread(image, region);
            var index = ScreenImages.FrameIndex(image, region);
            seen = $"spread {spread:0.0}, index {index?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unreadable"}";
            if (spread > ScreenImages.BlankStandardDeviation && index is { } found && found > after)
            {
                return (found, png);
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the window never showed a frame after {after}; last screenshot: {seen}; Xvfb log: {xvfb.Log}");
    }

    /// <summary>xwd dumps the root window; the ffmpeg CLI (installed by setup) turns the dump into PNG.</summary>
    private static async Task<byte[]> ScreenshotAsync(string display, string directory)
    {
        var dump = Path.Combine(directory, "screen.xwd");
        var png = Path.Combine(directory, "screen.png");
        await RunToolAsync(Xwd, "-root", "-silent", "-display", display, "-out", dump);
        await RunToolAsync("ffmpeg", "-loglevel", "error", "-y", "-i", dump, png);
        return await File.ReadAllBytesAsync(png);
    }

    private static async Task RunToolAsync(string tool, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Patience);
        Assert.True(process.ExitCode == 0, $"{tool} failed ({process.ExitCode}): {await stderr}");
    }

    /// <summary>A display number nobody serves: no socket file and no lock file.</summary>
    private static int FreeDisplayNumber()
    {
        for (var number = 50 + Random.Shared.Next(400); ; number++)
        {
            if (!File.Exists($"/tmp/.X11-unix/X{number}") && !File.Exists($"/tmp/.X{number}-lock"))
            {
                return number;
            }
        }
    }
}
