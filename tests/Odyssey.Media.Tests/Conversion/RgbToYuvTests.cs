using CsCheck;

namespace Odyssey.Media.Tests.Conversion;

/// <summary>
/// BGR/RGB → YUV and grey against their integer definition, pixel by pixel: the AVX2 row loop and its
/// scalar tail must give exactly what the fixed-point formula says, at every size.
/// </summary>
public class RgbToYuvTests
{
    private const int One = 1 << YuvCoefficients.EncodeFractionBits;

    [Fact]
    public void Convert_RandomSizesAndPixels_MatchesIntegerDefinition()
    {
        var pool = new VideoFramePool();
        Gen.Select(Gen.Int[1, 67], Gen.Int[1, 67], Gen.Int, Gen.Int[0, 7]).Sample(
            (width, height, seed, variant) =>
            {
                var packedFormat = (variant & 1) == 0 ? PixelFormat.Bgr24 : PixelFormat.Rgb24;
                var yuvFormat = (variant & 2) == 0 ? PixelFormat.I420 : PixelFormat.Nv12;
                var matrix = (variant & 4) == 0 ? YuvMatrix.Bt601 : YuvMatrix.Bt709;
                var c = YuvCoefficients.For(matrix);
                var source = pool.Rent(width, height, packedFormat);
                var yuv = pool.Rent(width, height, yuvFormat);
                var gray = pool.Rent(width, height, PixelFormat.Gray8);
                try
                {
                    TestImages.FillRandom(source, seed);
                    PixelConverter.Convert(source, yuv, matrix);
                    PixelConverter.Convert(source, gray, matrix);

                    for (var row = 0; row < height; row++)
                    {
                        for (var x = 0; x < width; x++)
                        {
                            var (blue, green, red) = Pixel(source, x, row);
                            Assert.Equal((c.YFromR * red) + (c.YFromG * green) + (c.YFromB * blue) + (16 * One) + (One / 2) >> YuvCoefficients.EncodeFractionBits, yuv.GetRow(0, row)[x]);
                            Assert.Equal((c.GrayFromR * red) + (c.GrayFromG * green) + (c.GrayFromB * blue) + (One / 2) >> YuvCoefficients.EncodeFractionBits, gray.GetRow(0, row)[x]);
                        }
                    }

                    var interleaved = yuvFormat == PixelFormat.Nv12;
                    for (var row = 0; row < (height + 1) / 2; row++)
                    {
                        for (var x = 0; x < (width + 1) / 2; x++)
                        {
                            // The mean of the block's existing pixels, in the same fixed point, rounded half up.
                            long sumBlue = 0, sumGreen = 0, sumRed = 0, count = 0;
                            for (var dy = 0; dy < 2 && (2 * row) + dy < height; dy++)
                            {
                                for (var dx = 0; dx < 2 && (2 * x) + dx < width; dx++)
                                {
                                    var (blue, green, red) = Pixel(source, (2 * x) + dx, (2 * row) + dy);
                                    (sumBlue, sumGreen, sumRed, count) = (sumBlue + blue, sumGreen + green, sumRed + red, count + 1);
                                }
                            }

                            var u = Rounded((c.UFromR * sumRed) + (c.UFromG * sumGreen) + (c.UFromB * sumBlue), count);
                            var v = Rounded((c.VFromR * sumRed) + (c.VFromG * sumGreen) + (c.VFromB * sumBlue), count);
                            Assert.Equal(u, interleaved ? yuv.GetRow(1, row)[2 * x] : yuv.GetRow(1, row)[x]);
                            Assert.Equal(v, interleaved ? yuv.GetRow(1, row)[(2 * x) + 1] : yuv.GetRow(2, row)[x]);
                        }
                    }
                }
                finally
                {
                    source.Release();
                    yuv.Release();
                    gray.Release();
                }
            },
            iter: 300);

        Assert.Equal(0, pool.Outstanding);
    }

    private static (int Blue, int Green, int Red) Pixel(VideoFrame frame, int x, int row)
    {
        var pixel = frame.GetRow(0, row).Slice(3 * x, 3);
        return frame.Format == PixelFormat.Bgr24 ? (pixel[0], pixel[1], pixel[2]) : (pixel[2], pixel[1], pixel[0]);
    }

    /// <summary>128 + weighted sum / (count × one), rounded half up (floor division of a positive value).</summary>
    private static long Rounded(long weightedSum, long count)
    {
        var denominator = count * One;
        return ((weightedSum + (128 * denominator)) * 2 + denominator) / (2 * denominator);
    }
}
