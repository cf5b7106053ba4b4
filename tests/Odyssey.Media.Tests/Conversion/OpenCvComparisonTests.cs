using OpenCvSharp;
using Xunit.Abstractions;

namespace Odyssey.Media.Tests.Conversion;

/// <summary>
/// Our converter against OpenCV's cvtColor on natural-looking pictures. OpenCV's YUV codes are BT.601
/// limited range, so these use <see cref="YuvMatrix.Bt601"/>. OpenCV needs even sizes for 4:2:0;
/// 642×362 still gives padded strides (642 → 672) and widths that are not multiples of 32.
/// </summary>
public class OpenCvComparisonTests(ITestOutputHelper output)
{
    /// <summary>
    /// Both sides round a fixed-point value of the same formula (ours 16-bit, OpenCV's 20-bit): a pixel may
    /// land on the neighbouring integer, never further. Measured: 1.
    /// </summary>
    private const int YuvToBgrTolerance = 1;

    /// <summary>Both compute Kr R + Kg G + Kb B in fixed point (ours 16-bit, OpenCV's 14-bit). Measured: 1.</summary>
    private const int GrayTolerance = 1;

    /// <summary>Luma is the same formula, rounded; measured: 1.</summary>
    private const int I420LumaTolerance = 1;

    /// <summary>
    /// Chroma differs by design: we average each 2×2 block, OpenCV takes the block's top-left pixel alone
    /// (probed: a red pixel at (0,0) of a black block moves OpenCV's U to 90; at (1,0), (0,1) or (1,1) it
    /// leaves U at 128). On this picture's ±6 noise that shows as up to 8 levels (measured 8 at 1280×720,
    /// 7 at 642×362).
    /// </summary>
    private const int I420ChromaTolerance = 8;

    /// <summary>With every 2×2 block one colour, both subsamplings agree and only rounding remains. Measured: 1.</summary>
    private const int I420BlockChromaTolerance = 1;

    public static TheoryData<int, int> Sizes() => new() { { 1280, 720 }, { 642, 362 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void I420ToBgr_NaturalPicture_MatchesOpenCv(int width, int height)
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(width, height, PixelFormat.I420);
        var ours = pool.Rent(width, height, PixelFormat.Bgr24);
        var theirs = pool.Rent(width, height, PixelFormat.Bgr24);
        TestImages.FillNaturalYuv(source, seed: 1);

        PixelConverter.Convert(source, ours);
        using (var input = TestImages.ToContiguousI420(source))
        using (var result = TestImages.WrapPacked(theirs))
        {
            Cv2.CvtColor(input, result, ColorConversionCodes.YUV2BGR_I420);
            Assert.Equal(theirs.GetPlanePointer(0), result.Data); // OpenCV wrote into our frame, not a new Mat
        }

        var difference = TestImages.MaxAbsDifference(theirs, ours);
        output.WriteLine($"I420->BGR {width}x{height}: max |ours - OpenCV| = {difference}");
        Assert.InRange(difference, 0, YuvToBgrTolerance);
        Release(source, ours, theirs);
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Nv12ToBgr_NaturalPicture_MatchesOpenCv(int width, int height)
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(width, height, PixelFormat.Nv12);
        var ours = pool.Rent(width, height, PixelFormat.Bgr24);
        var theirs = pool.Rent(width, height, PixelFormat.Bgr24);
        TestImages.FillNaturalYuv(source, seed: 2);

        PixelConverter.Convert(source, ours);

        // The two-plane form takes each plane with its own stride, so no copy is needed.
        using (var luma = TestImages.WrapPlane(source, 0, MatType.CV_8UC1, width))
        using (var chroma = TestImages.WrapPlane(source, 1, MatType.CV_8UC2, width / 2))
        using (var result = TestImages.WrapPacked(theirs))
        {
            Cv2.CvtColorTwoPlane(luma, chroma, result, ColorConversionCodes.YUV2BGR_NV12);
            Assert.Equal(theirs.GetPlanePointer(0), result.Data);
        }

        var difference = TestImages.MaxAbsDifference(theirs, ours);
        output.WriteLine($"NV12->BGR {width}x{height}: max |ours - OpenCV| = {difference}");
        Assert.InRange(difference, 0, YuvToBgrTolerance);
        Release(source, ours, theirs);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void BgrToGray_NaturalPicture_MatchesOpenCv(int width, int height)
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(width, height, PixelFormat.Bgr24);
        var ours = pool.Rent(width, height, PixelFormat.Gray8);
        var theirs = pool.Rent(width, height, PixelFormat.Gray8);
        TestImages.FillNaturalPacked(source, seed: 3);

        PixelConverter.Convert(source, ours);
        using (var input = TestImages.WrapPacked(source))
        using (var result = TestImages.WrapPacked(theirs))
        {
            Cv2.CvtColor(input, result, ColorConversionCodes.BGR2GRAY);
            Assert.Equal(theirs.GetPlanePointer(0), result.Data);
        }

        var difference = TestImages.MaxAbsDifference(theirs, ours);
        output.WriteLine($"BGR->GRAY {width}x{height}: max |ours - OpenCV| = {difference}");
        Assert.InRange(difference, 0, GrayTolerance);
        Release(source, ours, theirs);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void BgrToI420_NaturalPicture_MatchesOpenCv(int width, int height)
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(width, height, PixelFormat.Bgr24);
        var ours = pool.Rent(width, height, PixelFormat.I420);
        TestImages.FillNaturalPacked(source, seed: 4);

        var (lumaDifference, chromaDifference) = CompareBgrToI420(source, ours);

        output.WriteLine($"BGR->I420 {width}x{height}: max |ours - OpenCV| luma {lumaDifference}, chroma {chromaDifference}");
        Assert.InRange(lumaDifference, 0, I420LumaTolerance);
        Assert.InRange(chromaDifference, 0, I420ChromaTolerance);
        Release(source, ours);
    }

    [Fact]
    public void BgrToI420_BlockConstantPicture_ChromaMatchesOpenCv()
    {
        const int Width = 642;
        const int Height = 362;
        var pool = new VideoFramePool();
        var source = pool.Rent(Width, Height, PixelFormat.Bgr24);
        var ours = pool.Rent(Width, Height, PixelFormat.I420);
        var random = new Random(5);
        var block = new byte[3];
        for (var row = 0; row < Height; row += 2)
        {
            for (var x = 0; x < Width; x += 2)
            {
                random.NextBytes(block);
                for (var dy = 0; dy < 2; dy++)
                {
                    block.CopyTo(source.GetRow(0, row + dy).Slice(x * 3, 3));
                    block.CopyTo(source.GetRow(0, row + dy).Slice((x + 1) * 3, 3));
                }
            }
        }

        var (lumaDifference, chromaDifference) = CompareBgrToI420(source, ours);

        output.WriteLine($"BGR->I420 block-constant: max |ours - OpenCV| luma {lumaDifference}, chroma {chromaDifference}");
        Assert.InRange(lumaDifference, 0, I420LumaTolerance);
        Assert.InRange(chromaDifference, 0, I420BlockChromaTolerance);
        Release(source, ours);
    }

    private static (int Luma, int Chroma) CompareBgrToI420(VideoFrame source, VideoFrame ours)
    {
        var width = source.Width;
        var height = source.Height;
        PixelConverter.Convert(source, ours);
        using var input = TestImages.WrapPacked(source);
        using var theirs = new Mat();
        Cv2.CvtColor(input, theirs, ColorConversionCodes.BGR2YUV_I420);
        Assert.Equal(new Size(width, height * 3 / 2), theirs.Size());

        var lumaDifference = 0;
        var chromaDifference = 0;
        for (var plane = 0; plane < 3; plane++)
        {
            for (var row = 0; row < PixelFormats.PlaneHeight(PixelFormat.I420, plane, height); row++)
            {
                var difference = TestImages.MaxAbsDifference(TestImages.ContiguousI420Row(theirs, width, height, plane, row), ours.GetRow(plane, row));
                if (plane == 0)
                {
                    lumaDifference = Math.Max(lumaDifference, difference);
                }
                else
                {
                    chromaDifference = Math.Max(chromaDifference, difference);
                }
            }
        }

        return (lumaDifference, chromaDifference);
    }

    private static void Release(params VideoFrame[] frames)
    {
        foreach (var frame in frames)
        {
            frame.Release();
        }
    }
}
