using OpenCvSharp;

namespace Odyssey.Media.Tests.Conversion;

/// <summary>Deterministic test pictures and helpers that move our frames in and out of OpenCV.</summary>
internal static class TestImages
{
    /// <summary>Every byte of every plane, stride padding included, random.</summary>
    public static void FillRandom(VideoFrame frame, int seed)
    {
        var random = new Random(seed);
        for (var plane = 0; plane < frame.PlaneCount; plane++)
        {
            random.NextBytes(frame.GetPlane(plane));
        }
    }

    /// <summary>
    /// A "natural" limited-range YUV picture: smooth luma waves and a ramp plus mild noise, and slowly
    /// turning chroma — the kind of content a camera or decoder hands over.
    /// </summary>
    public static void FillNaturalYuv(VideoFrame frame, int seed)
    {
        var random = new Random(seed);
        for (var row = 0; row < frame.Height; row++)
        {
            var luma = frame.GetRow(0, row);
            for (var x = 0; x < luma.Length; x++)
            {
                var level = 0.5 + (0.3 * Math.Sin(x / 37.0) * Math.Cos(row / 23.0)) + (0.15 * ((double)x / frame.Width - 0.5));
                luma[x] = ClampByte(16 + (219 * level) + random.Next(-6, 7));
            }
        }

        var chromaRows = PixelFormats.PlaneHeight(frame.Format, 1, frame.Height);
        var chromaWidth = (frame.Width + 1) / 2;
        var interleaved = frame.Format == PixelFormat.Nv12;
        for (var row = 0; row < chromaRows; row++)
        {
            var u = frame.GetRow(1, row);
            var v = interleaved ? u[1..] : frame.GetRow(2, row);
            var step = interleaved ? 2 : 1;
            for (var x = 0; x < chromaWidth; x++)
            {
                u[x * step] = ClampByte(128 + (90 * Math.Sin((x / 29.0) + (row / 41.0))) + random.Next(-3, 4));
                v[x * step] = ClampByte(128 + (90 * Math.Cos((x / 17.0) - (row / 33.0))) + random.Next(-3, 4));
            }
        }
    }

    /// <summary>A "natural" BGR24/RGB24 picture: overlapping colour gradients plus mild noise.</summary>
    public static void FillNaturalPacked(VideoFrame frame, int seed)
    {
        var random = new Random(seed);
        for (var row = 0; row < frame.Height; row++)
        {
            var pixels = frame.GetRow(0, row);
            for (var x = 0; x < frame.Width; x++)
            {
                pixels[3 * x] = ClampByte(128 + (100 * Math.Sin((x / 53.0) + (row / 97.0))) + random.Next(-6, 7));
                pixels[(3 * x) + 1] = ClampByte((255.0 * x / frame.Width) + random.Next(-6, 7));
                pixels[(3 * x) + 2] = ClampByte(128 + (110 * Math.Cos(row / 31.0)) + random.Next(-6, 7));
            }
        }
    }

    /// <summary>Largest absolute difference between the pixels (not the padding) of two same-shaped frames.</summary>
    public static int MaxAbsDifference(VideoFrame expected, VideoFrame actual)
    {
        Assert.Equal((expected.Width, expected.Height, expected.Format), (actual.Width, actual.Height, actual.Format));
        var max = 0;
        for (var plane = 0; plane < expected.PlaneCount; plane++)
        {
            for (var row = 0; row < PixelFormats.PlaneHeight(expected.Format, plane, expected.Height); row++)
            {
                max = Math.Max(max, MaxAbsDifference(expected.GetRow(plane, row), actual.GetRow(plane, row)));
            }
        }

        return max;
    }

    public static int MaxAbsDifference(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var max = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        }

        return max;
    }

    /// <summary>A Mat over one plane of <paramref name="frame"/>, honouring its stride (no copy).</summary>
    public static Mat WrapPlane(VideoFrame frame, int plane, MatType type, int columns) =>
        Mat.FromPixelData(PixelFormats.PlaneHeight(frame.Format, plane, frame.Height), columns, type, frame.GetPlanePointer(plane), frame.GetStride(plane));

    /// <summary>A Mat over a packed BGR24/RGB24 or GRAY8 frame.</summary>
    public static Mat WrapPacked(VideoFrame frame) =>
        WrapPlane(frame, 0, frame.Format == PixelFormat.Gray8 ? MatType.CV_8UC1 : MatType.CV_8UC3, frame.Width);

    /// <summary>
    /// OpenCV's contiguous I420 layout: a (h × 3/2) × w single-channel Mat, Y rows then U then V without
    /// padding. Our planes are padded, so they are copied row by row. Needs even width and height.
    /// </summary>
    public static unsafe Mat ToContiguousI420(VideoFrame frame)
    {
        Assert.Equal(PixelFormat.I420, frame.Format);
        var mat = new Mat(frame.Height * 3 / 2, frame.Width, MatType.CV_8UC1);
        var bytes = new Span<byte>((void*)mat.Data, frame.Width * frame.Height * 3 / 2);
        var offset = 0;
        for (var plane = 0; plane < 3; plane++)
        {
            for (var row = 0; row < PixelFormats.PlaneHeight(frame.Format, plane, frame.Height); row++)
            {
                var source = frame.GetRow(plane, row);
                source.CopyTo(bytes[offset..]);
                offset += source.Length;
            }
        }

        return mat;
    }

    /// <summary>The rows of one plane of OpenCV's contiguous I420 output.</summary>
    public static unsafe ReadOnlySpan<byte> ContiguousI420Row(Mat mat, int width, int height, int plane, int row)
    {
        var chromaWidth = width / 2;
        var start = plane switch
        {
            0 => row * width,
            1 => (width * height) + (row * chromaWidth),
            _ => (width * height) + (chromaWidth * height / 2) + (row * chromaWidth),
        };
        return new ReadOnlySpan<byte>((byte*)mat.Data + start, plane == 0 ? width : chromaWidth);
    }

    private static byte ClampByte(double value) => (byte)Math.Clamp((int)Math.Round(value), 0, 255);
}
