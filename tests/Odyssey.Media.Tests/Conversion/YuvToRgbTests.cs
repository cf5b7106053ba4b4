using CsCheck;

namespace Odyssey.Media.Tests.Conversion;

/// <summary>The vectorised YUV → RGB path against the scalar reference, and both against the formula.</summary>
public class YuvToRgbTests
{
    private const int MaxSide = 67;

    [Fact]
    public void Convert_RandomSizesAndPixels_EqualsScalarReferenceExactly()
    {
        var pool = new VideoFramePool();

        // Widths 1..67 reach the AVX2 loop (32), the 128-bit loop (16) and the scalar tail, odd and even.
        Gen.Select(Gen.Int[1, MaxSide], Gen.Int[1, MaxSide], Gen.Int, Gen.Int[0, 7]).Sample(
            (width, height, seed, variant) =>
            {
                var sourceFormat = (variant & 1) == 0 ? PixelFormat.I420 : PixelFormat.Nv12;
                var destinationFormat = (variant & 2) == 0 ? PixelFormat.Bgr24 : PixelFormat.Rgb24;
                var matrix = (variant & 4) == 0 ? YuvMatrix.Bt601 : YuvMatrix.Bt709;
                var source = pool.Rent(width, height, sourceFormat);
                var vectorised = pool.Rent(width, height, destinationFormat);
                var reference = pool.Rent(width, height, destinationFormat);
                try
                {
                    TestImages.FillRandom(source, seed);
                    PixelConverter.Convert(source, vectorised, matrix);
                    YuvToRgb.ConvertReference(source, reference, YuvCoefficients.For(matrix));

                    Assert.Equal(0, TestImages.MaxAbsDifference(reference, vectorised));
                }
                finally
                {
                    source.Release();
                    vectorised.Release();
                    reference.Release();
                }
            },
            iter: 400);

        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData(YuvMatrix.Bt601)]
    [InlineData(YuvMatrix.Bt709)]
    public void Convert_EveryYAndChromaGrid_WithinOneOfFloatFormula(YuvMatrix matrix)
    {
        // 512 wide = 256 chroma columns: U takes every value, V steps by 5, and Y cycles through all 256
        // values across the frame, so the whole input range (including out-of-range super-white/black)
        // is covered in one conversion.
        const int Width = 512;
        const int VStep = 5;
        var height = 2 * ((255 / VStep) + 1);
        var pool = new VideoFramePool();
        var source = pool.Rent(Width, height, PixelFormat.I420);
        var output = pool.Rent(Width, height, PixelFormat.Bgr24);
        for (var row = 0; row < height; row++)
        {
            var luma = source.GetRow(0, row);
            for (var x = 0; x < Width; x++)
            {
                luma[x] = (byte)((x + (row * 37)) % 256);
            }
        }

        for (var row = 0; row < height / 2; row++)
        {
            var u = source.GetRow(1, row);
            var v = source.GetRow(2, row);
            for (var x = 0; x < u.Length; x++)
            {
                u[x] = (byte)x;
                v[x] = (byte)Math.Min(255, row * VStep);
            }
        }

        PixelConverter.Convert(source, output, matrix);

        var worst = 0.0;
        for (var row = 0; row < height; row++)
        {
            var pixels = output.GetRow(0, row);
            for (var x = 0; x < Width; x++)
            {
                var (blue, green, red) = ColorFormula.YuvToBgr(source.GetRow(0, row)[x], source.GetRow(1, row / 2)[x / 2], source.GetRow(2, row / 2)[x / 2], matrix);
                worst = Math.Max(worst, Math.Abs(pixels[3 * x] - blue));
                worst = Math.Max(worst, Math.Abs(pixels[(3 * x) + 1] - green));
                worst = Math.Max(worst, Math.Abs(pixels[(3 * x) + 2] - red));
            }
        }

        // The exact value rounds to one of two integers; fixed point may pick the other one.
        Assert.True(worst < 1.0, $"worst deviation from the real-valued formula: {worst:F3}");
        source.Release();
        output.Release();
    }

    [Theory]
    [InlineData(PixelFormat.I420, PixelFormat.Bgr24, YuvMatrix.Bt601)]
    [InlineData(PixelFormat.Nv12, PixelFormat.Rgb24, YuvMatrix.Bt601)]
    [InlineData(PixelFormat.I420, PixelFormat.Rgb24, YuvMatrix.Bt709)]
    [InlineData(PixelFormat.Nv12, PixelFormat.Bgr24, YuvMatrix.Bt709)]
    public void Convert_LimitedRangeBlackAndWhite_MapToFullRangeExtremes(PixelFormat sourceFormat, PixelFormat destinationFormat, YuvMatrix matrix)
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(37, 5, sourceFormat);
        var output = pool.Rent(37, 5, destinationFormat);

        foreach (var (y, expected) in new[] { (16, 0), (235, 255) })
        {
            FillFlat(source, (byte)y, 128, 128);
            PixelConverter.Convert(source, output, matrix);
            for (var row = 0; row < output.Height; row++)
            {
                Assert.All(output.GetRow(0, row).ToArray(), b => Assert.Equal(expected, b));
            }
        }

        source.Release();
        output.Release();
    }

    [Theory]
    [InlineData(YuvMatrix.Bt601)]
    [InlineData(YuvMatrix.Bt709)]
    public void Convert_PureColours_WithinOneOfFormula(YuvMatrix matrix)
    {
        (byte Blue, byte Green, byte Red)[] colours =
        [
            (0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0), (128, 128, 128), (40, 90, 200),
        ];
        var pool = new VideoFramePool();
        var source = pool.Rent(34, 2, PixelFormat.Nv12);
        var output = pool.Rent(34, 2, PixelFormat.Bgr24);
        foreach (var colour in colours)
        {
            var (y, u, v) = ColorFormula.BgrToYuv(colour.Blue, colour.Green, colour.Red, matrix);
            FillFlat(source, ColorFormula.RoundToByte(y), ColorFormula.RoundToByte(u), ColorFormula.RoundToByte(v));
            PixelConverter.Convert(source, output, matrix);

            var (blue, green, red) = ColorFormula.YuvToBgr(ColorFormula.RoundToByte(y), ColorFormula.RoundToByte(u), ColorFormula.RoundToByte(v), matrix);
            var pixels = output.GetRow(0, 1);
            for (var x = 0; x < output.Width; x++)
            {
                Assert.InRange(pixels[3 * x], Math.Round(blue) - 1, Math.Round(blue) + 1);
                Assert.InRange(pixels[(3 * x) + 1], Math.Round(green) - 1, Math.Round(green) + 1);
                Assert.InRange(pixels[(3 * x) + 2], Math.Round(red) - 1, Math.Round(red) + 1);
            }

            // And the whole trip lands on the colour we started from: 8-bit YUV loses at most about one step.
            Assert.InRange(pixels[0], colour.Blue - 2, colour.Blue + 2);
            Assert.InRange(pixels[1], colour.Green - 2, colour.Green + 2);
            Assert.InRange(pixels[2], colour.Red - 2, colour.Red + 2);
        }

        source.Release();
        output.Release();
    }

    internal static void FillFlat(VideoFrame frame, byte y, byte u, byte v)
    {
        for (var row = 0; row < frame.Height; row++)
        {
            frame.GetRow(0, row).Fill(y);
        }

        for (var row = 0; row < PixelFormats.PlaneHeight(frame.Format, 1, frame.Height); row++)
        {
            if (frame.Format == PixelFormat.Nv12)
            {
                var uv = frame.GetRow(1, row);
                for (var x = 0; x < uv.Length; x += 2)
                {
                    uv[x] = u;
                    uv[x + 1] = v;
                }
            }
            else
            {
                frame.GetRow(1, row).Fill(u);
                frame.GetRow(2, row).Fill(v);
            }
        }
    }
}
