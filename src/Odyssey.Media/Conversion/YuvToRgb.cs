using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Odyssey.Media;

/// <summary>
/// 4:2:0 YUV (I420, NV12) → packed BGR24/RGB24, limited range, in 16-bit fixed point
/// (<see cref="YuvCoefficients"/>). Two luma rows share each chroma row, so chroma terms are computed once
/// per 2×2 block. The per-pixel arithmetic lives here once; the vector kernels reproduce it lane for lane,
/// and <see cref="ConvertReference"/> is the plain loop the tests hold them to.
/// </summary>
internal static partial class YuvToRgb
{
    /// <summary>Converts with the fastest kernel the CPU offers.</summary>
    public static void Convert(VideoFrame source, VideoFrame destination, YuvCoefficients coefficients)
    {
        var width = source.Width;
        var height = source.Height;
        var interleaved = source.Format == PixelFormat.Nv12;
        var blueFirst = destination.Format == PixelFormat.Bgr24;
        var chromaRows = PixelFormats.PlaneHeight(source.Format, 1, height);
        for (var chromaRow = 0; chromaRow < chromaRows; chromaRow++)
        {
            var top = chromaRow * 2;

            // An odd last row pairs with itself: both "rows" write the same bytes, which keeps one kernel.
            var bottom = Math.Min(top + 1, height - 1);
            var u = source.GetRow(1, chromaRow);
            var v = interleaved ? u[1..] : source.GetRow(2, chromaRow);
            ConvertRowPair(
                new RowPair(source.GetRow(0, top), source.GetRow(0, bottom), u, v, destination.GetRow(0, top), destination.GetRow(0, bottom)),
                width,
                interleaved,
                blueFirst,
                coefficients);
        }
    }

    /// <summary>The oracle: every pixel on its own, no vectors, no row pairing.</summary>
    public static void ConvertReference(VideoFrame source, VideoFrame destination, YuvCoefficients coefficients)
    {
        var interleaved = source.Format == PixelFormat.Nv12;
        var chromaStep = interleaved ? 2 : 1;
        var blueFirst = destination.Format == PixelFormat.Bgr24;
        for (var row = 0; row < source.Height; row++)
        {
            var luma = source.GetRow(0, row);
            var u = source.GetRow(1, row / 2);
            var v = interleaved ? u[1..] : source.GetRow(2, row / 2);
            var output = destination.GetRow(0, row);
            for (var x = 0; x < source.Width; x++)
            {
                var chroma = ChromaTerms.Compute(u[x / 2 * chromaStep], v[x / 2 * chromaStep], coefficients);
                WritePixel(output, x, LumaTerm(luma[x], coefficients), chroma, blueFirst);
            }
        }
    }

    private static void ConvertRowPair(in RowPair rows, int width, bool interleaved, bool blueFirst, YuvCoefficients coefficients)
    {
        var x = 0;
        if (Avx2.IsSupported)
        {
            x = ConvertAvx2(rows, width, interleaved, blueFirst, coefficients);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            x = ConvertVector128(rows, x, width, interleaved, blueFirst, coefficients);
        }

        ConvertScalar(rows, x, width, interleaved, blueFirst, coefficients);
    }

    /// <summary>Pixels from <paramref name="x"/> (even) to the end of both rows, one 2×2 block at a time.</summary>
    private static void ConvertScalar(in RowPair rows, int x, int width, bool interleaved, bool blueFirst, YuvCoefficients coefficients)
    {
        var chromaStep = interleaved ? 2 : 1;
        for (; x < width; x += 2)
        {
            var chroma = ChromaTerms.Compute(rows.U[x / 2 * chromaStep], rows.V[x / 2 * chromaStep], coefficients);
            WritePixel(rows.Output0, x, LumaTerm(rows.Luma0[x], coefficients), chroma, blueFirst);
            WritePixel(rows.Output1, x, LumaTerm(rows.Luma1[x], coefficients), chroma, blueFirst);
            if (x + 1 < width)
            {
                WritePixel(rows.Output0, x + 1, LumaTerm(rows.Luma0[x + 1], coefficients), chroma, blueFirst);
                WritePixel(rows.Output1, x + 1, LumaTerm(rows.Luma1[x + 1], coefficients), chroma, blueFirst);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LumaTerm(int y, YuvCoefficients coefficients) =>
        YuvCoefficients.MultiplyHighRound(y << YuvCoefficients.LumaInputShift, coefficients.LumaFactor);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WritePixel(Span<byte> output, int x, int luma, in ChromaTerms chroma, bool blueFirst)
    {
        var blue = Channel(luma, chroma.Blue);
        var green = Channel(luma, chroma.Green);
        var red = Channel(luma, chroma.Red);
        var pixel = output.Slice(x * 3, 3);
        pixel[0] = blueFirst ? blue : red;
        pixel[1] = green;
        pixel[2] = blueFirst ? red : blue;
    }

    /// <summary>
    /// Luma term plus chroma term, back to an integer, clamped. The vector kernels add with 16-bit
    /// saturation; that only bites when the true value exceeds 511, which clamps to 255 either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Channel(int luma, int chroma) =>
        (byte)Math.Clamp((luma + chroma) >> YuvCoefficients.DecodeFractionBits, 0, byte.MaxValue);

    /// <summary>Source and destination rows for one chroma row: two luma rows (equal when the height is odd).</summary>
    private readonly ref struct RowPair(ReadOnlySpan<byte> luma0, ReadOnlySpan<byte> luma1, ReadOnlySpan<byte> u, ReadOnlySpan<byte> v, Span<byte> output0, Span<byte> output1)
    {
        public ReadOnlySpan<byte> Luma0 { get; } = luma0;

        public ReadOnlySpan<byte> Luma1 { get; } = luma1;

        /// <summary>U samples; for NV12 the interleaved UV row.</summary>
        public ReadOnlySpan<byte> U { get; } = u;

        /// <summary>V samples; for NV12 the UV row from its second byte.</summary>
        public ReadOnlySpan<byte> V { get; } = v;

        public Span<byte> Output0 { get; } = output0;

        public Span<byte> Output1 { get; } = output1;
    }

    /// <summary>The blue, green and red contributions of one chroma sample, bias included.</summary>
    private readonly record struct ChromaTerms(int Blue, int Green, int Red)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ChromaTerms Compute(int u, int v, YuvCoefficients coefficients)
        {
            var cu = (u - 128) << YuvCoefficients.ChromaInputShift;
            var cv = (v - 128) << YuvCoefficients.ChromaInputShift;
            return new ChromaTerms(
                YuvCoefficients.MultiplyHighRound(cu, coefficients.BlueFromU) + coefficients.DecodeBias,
                YuvCoefficients.MultiplyHighRound(cu, coefficients.GreenFromU) + YuvCoefficients.MultiplyHighRound(cv, coefficients.GreenFromV) + coefficients.DecodeBias,
                YuvCoefficients.MultiplyHighRound(cv, coefficients.RedFromV) + coefficients.DecodeBias);
        }
    }
}
