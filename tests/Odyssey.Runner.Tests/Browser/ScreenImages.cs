using Odyssey.Media;
using Odyssey.Pipeline.Blocks;
using OpenCvSharp;

namespace Odyssey.Runner.Tests;

/// <summary>Reads screenshots: whether a region shows a picture, and the frame index the test pattern stamped into it.</summary>
internal static class ScreenImages
{
    /// <summary>A uniform region (blank page, black window) has almost no spread; any real picture has plenty.</summary>
    public const double BlankStandardDeviation = 4;

    public static Mat Decode(byte[] png)
    {
        var image = Cv2.ImDecode(png, ImreadModes.Color);
        Assert.False(image.Empty(), "the screenshot is not a readable image");
        return image;
    }

    /// <summary>The largest luma standard deviation over the region: near 0 when blank.</summary>
    public static double Spread(Mat screenshot, Rect region)
    {
        using var part = new Mat(screenshot, region);
        using var gray = new Mat();
        Cv2.CvtColor(part, gray, ColorConversionCodes.BGR2GRAY);
        Cv2.MeanStdDev(gray, out _, out var deviation);
        return deviation.Val0;
    }

    /// <summary>The index stamped by the test pattern into the top rows of <paramref name="region"/>, or null when unreadable.</summary>
    public static long? FrameIndex(Mat screenshot, Rect region)
    {
        using var part = new Mat(screenshot, region);
        var frame = VideoFramePool.Shared.Rent(region.Width, region.Height, PixelFormat.Bgr24);
        try
        {
            using (var target = Mat.FromPixelData(region.Height, region.Width, MatType.CV_8UC3, frame.GetPlanePointer(0), frame.GetStride(0)))
            {
                part.CopyTo(target);
            }

            return FrameIndexCode.TryRead(frame, out var index) ? index : null;
        }
        finally
        {
            frame.Release();
        }
    }

    /// <summary>Where screenshots are kept after the run (TestResults/ is ignored by git).</summary>
    public static string SaveArtefact(string name, byte[] png)
    {
        var directory = Path.Combine(RunnerProcess.RepositoryRoot, "TestResults", "artefacts");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, png);
        return path;
    }
}
