using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>Frames for tests: test-pattern frames, uniform frames, and copies to and from OpenCV Mats.</summary>
internal static class TestFrames
{
    /// <summary>Frames 0..count-1 of a test pattern, owned by the caller.</summary>
    public static async Task<List<VideoFrame>> PatternAsync(TestBlockContext context, int width = 640, int height = 480, int count = 1, int seed = 7)
    {
        var source = await BlockHarness.StartAsync(new TestPatternBlock(new TestPatternOptions { Width = width, Height = height, Frames = count, Seed = seed }), context);
        return await BlockHarness.ProduceAsync(source);
    }

    public static VideoFrame Uniform(VideoFramePool pool, int width, int height, PixelFormat format, byte value, long index = 0)
    {
        var frame = pool.Rent(width, height, format);
        for (var plane = 0; plane < frame.PlaneCount; plane++)
        {
            frame.GetPlane(plane).Fill(value);
        }

        frame.Index = index;
        return frame;
    }

    /// <summary>A deep copy of one plane as a continuous Mat (the reference input for direct OpenCV calls).</summary>
    public static Mat ToMat(VideoFrame frame, int plane = 0)
    {
        using var view = FrameMats.Wrap(frame, plane);
        return view.Clone();
    }

    /// <summary>A new frame holding <paramref name="mat"/>'s pixels (8-bit, 1 or 3 channels).</summary>
    public static VideoFrame FromMat(VideoFramePool pool, Mat mat, PixelFormat format, long index = 0)
    {
        var frame = pool.Rent(mat.Cols, mat.Rows, format);
        using (var view = FrameMats.Wrap(frame, 0))
        {
            mat.CopyTo(view);
        }

        frame.Index = index;
        return frame;
    }

    /// <summary>A GRAY8 frame holding the luma plane of <paramref name="frame"/> copied into a new I420 or NV12 frame (chroma neutral).</summary>
    public static VideoFrame PlanarFromGray(VideoFramePool pool, VideoFrame gray, PixelFormat format)
    {
        var frame = pool.Rent(gray.Width, gray.Height, format);
        for (var y = 0; y < gray.Height; y++)
        {
            gray.GetRow(0, y).CopyTo(frame.GetRow(0, y));
        }

        for (var plane = 1; plane < frame.PlaneCount; plane++)
        {
            frame.GetPlane(plane).Fill(128);
        }

        frame.CopyMetadataFrom(gray);
        return frame;
    }

    /// <summary>Largest absolute per-element difference between two Mats of equal size and type.</summary>
    public static double MaxDifference(Mat expected, Mat actual)
    {
        Assert.Equal(expected.Size(), actual.Size());
        Assert.Equal(expected.Type(), actual.Type());
        return Cv2.Norm(expected, actual, NormTypes.INF);
    }

    public static void ReleaseAll(IEnumerable<VideoFrame> frames)
    {
        foreach (var frame in frames)
        {
            frame.Release();
        }
    }
}
