using System.Runtime.CompilerServices;

namespace Odyssey.Media;

/// <summary>
/// Packed BGR24/RGB24 → limited-range 4:2:0 YUV (I420, NV12) and → full-range grey, in 32-bit fixed point
/// (<see cref="YuvCoefficients.EncodeFractionBits"/>). Chroma is the mean of each 2×2 block (fewer pixels at
/// an odd right or bottom edge), which is what a 4:2:0 encoder expects; OpenCV instead samples the block's
/// top-left pixel, which aliases on detail.
/// </summary>
internal static class RgbToYuv
{
    private const int Half = 1 << (YuvCoefficients.EncodeFractionBits - 1);

    public static void ToYuv420(VideoFrame source, VideoFrame destination, YuvCoefficients coefficients)
    {
        var (blue, red) = ChannelOffsets(source.Format);
        var width = source.Width;
        for (var row = 0; row < source.Height; row++)
        {
            var pixels = source.GetRow(0, row);
            var luma = destination.GetRow(0, row);
            for (var x = 0; x < width; x++)
            {
                var pixel = pixels.Slice(x * 3, 3);
                luma[x] = (byte)(((coefficients.YFromR * pixel[red]) + (coefficients.YFromG * pixel[1]) + (coefficients.YFromB * pixel[blue]) + (16 << YuvCoefficients.EncodeFractionBits) + Half) >> YuvCoefficients.EncodeFractionBits);
            }
        }

        var interleaved = destination.Format == PixelFormat.Nv12;
        var chromaRows = PixelFormats.PlaneHeight(destination.Format, 1, source.Height);
        var chromaWidth = (width + 1) / 2;
        for (var chromaRow = 0; chromaRow < chromaRows; chromaRow++)
        {
            var top = source.GetRow(0, chromaRow * 2);
            var hasBottom = (chromaRow * 2) + 1 < source.Height;
            var bottom = hasBottom ? source.GetRow(0, (chromaRow * 2) + 1) : top;
            var u = destination.GetRow(1, chromaRow);
            var v = interleaved ? u[1..] : destination.GetRow(2, chromaRow);
            var step = interleaved ? 2 : 1;
            for (var chromaX = 0; chromaX < chromaWidth; chromaX++)
            {
                var left = chromaX * 2;
                var hasRight = left + 1 < width;

                // Sum the block's 1, 2 or 4 pixels and divide by shifting one or two bits further.
                var shift = YuvCoefficients.EncodeFractionBits + (hasBottom ? 1 : 0) + (hasRight ? 1 : 0);
                int sumBlue = 0, sumGreen = 0, sumRed = 0;
                Accumulate(top, left, hasRight, blue, red, ref sumBlue, ref sumGreen, ref sumRed);
                if (hasBottom)
                {
                    Accumulate(bottom, left, hasRight, blue, red, ref sumBlue, ref sumGreen, ref sumRed);
                }

                // The 128 offset keeps the sum positive, so the shift rounds half up like the luma above.
                var offset = (128 << shift) + (1 << (shift - 1));
                u[chromaX * step] = (byte)(((coefficients.UFromR * sumRed) + (coefficients.UFromG * sumGreen) + (coefficients.UFromB * sumBlue) + offset) >> shift);
                v[chromaX * step] = (byte)(((coefficients.VFromR * sumRed) + (coefficients.VFromG * sumGreen) + (coefficients.VFromB * sumBlue) + offset) >> shift);
            }
        }
    }

    /// <summary>Full-range grey (OpenCV's GRAY): Kr R + Kg G + Kb B of the chosen matrix.</summary>
    public static void ToGray(VideoFrame source, VideoFrame destination, YuvCoefficients coefficients)
    {
        var (blue, red) = ChannelOffsets(source.Format);
        for (var row = 0; row < source.Height; row++)
        {
            var pixels = source.GetRow(0, row);
            var gray = destination.GetRow(0, row);
            for (var x = 0; x < gray.Length; x++)
            {
                var pixel = pixels.Slice(x * 3, 3);
                gray[x] = (byte)(((coefficients.GrayFromR * pixel[red]) + (coefficients.GrayFromG * pixel[1]) + (coefficients.GrayFromB * pixel[blue]) + Half) >> YuvCoefficients.EncodeFractionBits);
            }
        }
    }

    /// <summary>Byte offsets of blue and red inside a packed pixel; green is always in the middle.</summary>
    public static (int Blue, int Red) ChannelOffsets(PixelFormat format) => format == PixelFormat.Bgr24 ? (0, 2) : (2, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ReadOnlySpan<byte> row, int left, bool hasRight, int blue, int red, ref int sumBlue, ref int sumGreen, ref int sumRed)
    {
        var pixel = row.Slice(left * 3, hasRight ? 6 : 3);
        sumBlue += pixel[blue];
        sumGreen += pixel[1];
        sumRed += pixel[red];
        if (hasRight)
        {
            sumBlue += pixel[3 + blue];
            sumGreen += pixel[4];
            sumRed += pixel[3 + red];
        }
    }
}
