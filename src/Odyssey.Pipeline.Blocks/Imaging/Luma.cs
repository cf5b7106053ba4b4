using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// Luma rows of any frame: the Y plane of GRAY8/I420/NV12 as is, or BT.601 weights over packed RGB.
/// One place for the weights, so every analysis block measures the same brightness.
/// </summary>
internal static class Luma
{
    // BT.601 luma weights (0.299, 0.587, 0.114) in 8-bit fixed point; they sum to 256, so a grey
    // pixel keeps its exact value.
    private const int RedWeight = 77;
    private const int GreenWeight = 150;
    private const int BlueWeight = 29;
    private const int FixedPointShift = 8;
    private const int Rounding = 1 << (FixedPointShift - 1);

    /// <summary>
    /// Row <paramref name="row"/> of luma: a view of the frame for planar and grey formats, else
    /// computed into <paramref name="scratch"/> (at least <c>Width</c> bytes).
    /// </summary>
    public static ReadOnlySpan<byte> Row(VideoFrame frame, int row, Span<byte> scratch)
    {
        switch (frame.Format)
        {
            case PixelFormat.Bgr24:
                return Weigh(frame.GetRow(0, row), scratch[..frame.Width], redOffset: 2, blueOffset: 0);
            case PixelFormat.Rgb24:
                return Weigh(frame.GetRow(0, row), scratch[..frame.Width], redOffset: 0, blueOffset: 2);
            default:
                return frame.GetRow(0, row);
        }
    }

    /// <summary>Luma of one packed pixel.</summary>
    public static int Of(byte red, byte green, byte blue) =>
        ((red * RedWeight) + (green * GreenWeight) + (blue * BlueWeight) + Rounding) >> FixedPointShift;

    private static Span<byte> Weigh(ReadOnlySpan<byte> pixels, Span<byte> luma, int redOffset, int blueOffset)
    {
        for (int x = 0, i = 0; x < luma.Length; x++, i += 3)
        {
            luma[x] = (byte)Of(pixels[i + redOffset], pixels[i + 1], pixels[i + blueOffset]);
        }

        return luma;
    }
}
