using System.Diagnostics;

namespace Odyssey.Media.Tests.Containers;

/// <summary>
/// Small clips in every container the reader opens, made by the ffmpeg CLI into a temporary folder on
/// first use, once per test class: 30 frames of 160x120 at 30 fps with a keyframe every 10.
/// </summary>
public sealed class MediaClips : IDisposable
{
    public const int Width = 160;
    public const int Height = 120;
    public const int FrameCount = 30;
    public const int FrameRate = 30;
    public const int KeyframeInterval = 10;

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(90);

    private readonly Dictionary<string, string> _clips = [];
    private readonly Lock _gate = new();

    public MediaClips()
    {
        Folder = Path.Combine(Path.GetTempPath(), "odyssey-containers-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    /// <summary>
    /// A clip by name: "h264.mp4", "h264.mkv", "h264.h264" (raw Annex-B), "vp8.webm", "vp8.ivf",
    /// "vp9.mkv" — codec before the dot, container after.
    /// </summary>
    public string Get(string name)
    {
        lock (_gate)
        {
            if (_clips.TryGetValue(name, out var known))
            {
                return known;
            }

            var encoder = name.Split('.')[0] switch
            {
                // Baseline: no B-frames, so raw Annex-B's decode-order stamps are presentation order too.
                "h264" => "-c:v libx264 -profile:v baseline",
                "vp8" => "-c:v libvpx -b:v 300k",
                "vp9" => "-c:v libvpx-vp9 -b:v 300k -deadline realtime -cpu-used 8",
                _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown codec"),
            };
            var path = Path.Combine(Folder, name);
            Ffmpeg($"-f lavfi -i testsrc2=size={Width}x{Height}:rate={FrameRate} -frames:v {FrameCount} -pix_fmt yuv420p -g {KeyframeInterval} {encoder} \"{path}\"");
            _clips[name] = path;
            return path;
        }
    }

    /// <summary>A fresh path in the clips folder (for derived and damaged files).</summary>
    public string NewPath(string name) => Path.Combine(Folder, Guid.NewGuid().ToString("N")[..8] + "-" + name);

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    /// <summary>Runs the ffmpeg CLI quietly; fails the test with its errors when it fails.</summary>
    public static void Ffmpeg(string arguments) => Run("ffmpeg", "-nostdin -v error -y " + arguments);

    /// <summary>Runs a tool and returns its standard output; fails the test when the tool fails or hangs.</summary>
    public static string Run(string tool, string arguments)
    {
        using var process = new Process
        {
            StartInfo = new ProcessStartInfo(tool, arguments)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            },
        };
        process.Start();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(ToolTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {arguments} did not finish within {ToolTimeout}");
        }

        Assert.True(process.ExitCode == 0, $"{tool} {arguments} failed ({process.ExitCode}): {errors.Result}");
        return output.Result;
    }
}
