using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>Small clips made with the ffmpeg CLI, and ffprobe's view of a file.</summary>
internal static class MediaFiles
{
    public const int Width = 160;
    public const int Height = 120;
    public const int FrameRate = 25;

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Encodes <paramref name="frames"/> test-pattern frames into <paramref name="path"/>, with a keyframe
    /// every <paramref name="gop"/>; the codec follows the extension (.h264/.mp4/.mkv: H.264 baseline; .ivf/.webm: VP8).
    /// </summary>
    public static string Encode(string path, int frames, int gop = 5)
    {
        var extension = Path.GetExtension(path);
        var encoder = extension is ".ivf" or ".webm" ? "-c:v libvpx -b:v 300k" : "-c:v libx264 -profile:v baseline";
        Run("ffmpeg", $"-nostdin -v error -y -f lavfi -i testsrc2=size={Width}x{Height}:rate={FrameRate} -frames:v {frames} -pix_fmt yuv420p -g {gop} {encoder} \"{path}\"");
        return path;
    }

    /// <summary>The first video stream as ffprobe reports it, frames counted by decoding (nb_read_frames).</summary>
    public static JsonNode Probe(string path) =>
        JsonNode.Parse(Run("ffprobe", $"-v error -count_frames -select_streams v:0 -show_streams -of json \"{path}\""))!["streams"]![0]!;

    public static string Run(string tool, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(ToolTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} {arguments} did not finish within {ToolTimeout}");
        }

        Assert.True(process.ExitCode == 0, $"{tool} {arguments} failed: {errors.Result}");
        return output.Result;
    }
}
