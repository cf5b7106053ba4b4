using System.Diagnostics;

namespace Odyssey.Media.Tests.FFmpeg;

/// <summary>
/// Small clips made by the ffmpeg CLI into a temporary folder, once per test class, with ffmpeg's own
/// decode of each as the reference our decoder must match byte for byte.
/// </summary>
public sealed class Clips : IDisposable
{
    public const int Width = 320;
    public const int Height = 240;
    public const int FrameCount = 30;

    /// <summary>Keyframe interval of every clip, so a damaged frame is followed by a keyframe soon.</summary>
    public const int KeyframeInterval = 10;

    /// <summary>Bytes in one 320x240 I420 picture.</summary>
    public const int FrameBytes = Width * Height * 3 / 2;

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(90);

    private readonly Dictionary<(VideoCodec, string), string> _clips = [];
    private readonly Lock _gate = new();

    public Clips()
    {
        Folder = Path.Combine(Path.GetTempPath(), "odyssey-ffmpeg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    /// <summary>
    /// Path of the clip for <paramref name="codec"/> (.h264 Annex-B or .ivf) whose pictures are
    /// <paramref name="pixelFormat"/> (an ffmpeg -pix_fmt name), made on first use.
    /// </summary>
    public string Clip(VideoCodec codec, string pixelFormat = "yuv420p")
    {
        lock (_gate)
        {
            if (_clips.TryGetValue((codec, pixelFormat), out var known))
            {
                return known;
            }

            var (extension, encoder) = codec switch
            {
                // No B-frames: raw Annex-B has no timestamps, so the reader's pts are in decode order.
                VideoCodec.H264 => ("h264", $"-c:v libx264 {(pixelFormat == "yuv420p" ? "-profile:v baseline" : "-bf 0")} -bsf:v h264_mp4toannexb -f h264"),
                VideoCodec.Vp8 => ("ivf", "-c:v libvpx -b:v 500k -f ivf"),
                VideoCodec.Vp9 => ("ivf", "-c:v libvpx-vp9 -b:v 500k -deadline realtime -cpu-used 8 -f ivf"),
                VideoCodec.Av1 => ("ivf", "-c:v libaom-av1 -b:v 500k -cpu-used 8 -usage realtime -f ivf"),
                _ => throw new ArgumentOutOfRangeException(nameof(codec)),
            };
            var clip = Path.Combine(Folder, $"{codec}-{pixelFormat}.{extension}".ToLowerInvariant());
            RunFfmpeg($"-f lavfi -i testsrc2=size={Width}x{Height}:rate=30 -frames:v {FrameCount} -pix_fmt {pixelFormat} -g {KeyframeInterval} {encoder} \"{clip}\"");
            _clips[(codec, pixelFormat)] = clip;
            return clip;
        }
    }

    /// <summary>
    /// A yuv420p clip of <paramref name="width"/> x <paramref name="height"/> (other sizes than the
    /// default: sizes the codec crops, or rows that need widening to the codec's alignment), made on first use.
    /// </summary>
    public string SizedClip(VideoCodec codec, int width, int height)
    {
        lock (_gate)
        {
            var key = (codec, $"{width}x{height}");
            if (_clips.TryGetValue(key, out var known))
            {
                return known;
            }

            var (extension, encoder) = codec switch
            {
                VideoCodec.H264 => ("h264", "-c:v libx264 -profile:v baseline -bsf:v h264_mp4toannexb -f h264"),
                VideoCodec.Vp8 => ("ivf", "-c:v libvpx -b:v 300k -f ivf"),
                VideoCodec.Vp9 => ("ivf", "-c:v libvpx-vp9 -b:v 300k -deadline realtime -cpu-used 8 -f ivf"),
                _ => throw new ArgumentOutOfRangeException(nameof(codec)),
            };
            var clip = Path.Combine(Folder, $"{codec}-{width}x{height}.{extension}".ToLowerInvariant());
            RunFfmpeg($"-f lavfi -i testsrc2=size={width}x{height}:rate=30 -frames:v {FrameCount} -pix_fmt yuv420p -g {KeyframeInterval} {encoder} \"{clip}\"");
            _clips[key] = clip;
            return clip;
        }
    }

    /// <summary>ffmpeg's own I420 decode of <paramref name="clip"/>, frame by frame.</summary>
    public List<byte[]> ReferenceFrames(VideoCodec codec, string clip)
    {
        var reference = clip + ".yuv";
        if (!File.Exists(reference))
        {
            // Pin AV1 to dav1d, the decoder ours uses; passthrough keeps ffmpeg from dropping or repeating frames.
            var decoder = codec == VideoCodec.Av1 ? "-c:v libdav1d " : string.Empty;
            RunFfmpeg($"{decoder}-i \"{clip}\" -fps_mode passthrough -f rawvideo -pix_fmt yuv420p \"{reference}\"");
        }

        var bytes = File.ReadAllBytes(reference);
        Assert.Equal(0, bytes.Length % FrameBytes);
        var frames = new List<byte[]>();
        for (var offset = 0; offset < bytes.Length; offset += FrameBytes)
        {
            frames.Add(bytes.AsSpan(offset, FrameBytes).ToArray());
        }

        return frames;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    /// <summary>Packs a frame's pixels (strides dropped) the way rawvideo yuv420p stores them.</summary>
    public static byte[] Pack(VideoFrame frame)
    {
        // Summed per plane: with an odd width or height (a mutated SPS can say so) chroma rounds up.
        var size = 0;
        for (var plane = 0; plane < frame.PlaneCount; plane++)
        {
            size += PixelFormats.RowBytes(frame.Format, plane, frame.Width) * PixelFormats.PlaneHeight(frame.Format, plane, frame.Height);
        }

        var packed = new byte[size];
        var offset = 0;
        for (var plane = 0; plane < frame.PlaneCount; plane++)
        {
            var rows = PixelFormats.PlaneHeight(frame.Format, plane, frame.Height);
            for (var row = 0; row < rows; row++)
            {
                var pixels = frame.GetRow(plane, row);
                pixels.CopyTo(packed.AsSpan(offset));
                offset += pixels.Length;
            }
        }

        return packed;
    }

    private static void RunFfmpeg(string arguments)
    {
        using var process = new Process
        {
            StartInfo = new ProcessStartInfo("ffmpeg", "-nostdin -v error -y " + arguments)
            {
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        process.Start();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(ToolTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ffmpeg {arguments} did not finish within {ToolTimeout}");
        }

        Assert.True(process.ExitCode == 0, $"ffmpeg {arguments} failed ({process.ExitCode}): {errors.Result}");
    }
}
