using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

    /// <summary>Chroma sums four pixels, so it shifts two bits further than luma.</summary>
    private const int ChromaShift = YuvCoefficients.EncodeFractionBits + 2;

    /// <summary>The 128 centre plus the rounding half, at chroma scale.</summary>
    private const int ChromaOffset = (128 << ChromaShift) + (1 << (ChromaShift - 1));

    public static void ToYuv420(VideoFrame source, VideoFrame destination, YuvCoefficients coefficients)
    {
        var (blue, red) = ChannelOffsets(source.Format);
        var width = source.Width;
        var weights = new Weights(coefficients.YFromR, coefficients.YFromG, coefficients.YFromB, (16 << YuvCoefficients.EncodeFractionBits) + Half);
        for (var row = 0; row < source.Height; row++)
        {
            WeighRow(source.GetRow(0, row), destination.GetRow(0, row), blue, red, weights);
        }

        var interleaved = destination.Format == PixelFormat.Nv12;
        var step = interleaved ? 2 : 1;
        var chromaRows = PixelFormats.PlaneHeight(destination.Format, 1, source.Height);
        var chromaWidth = (width + 1) / 2;

        // Every block is summed as four pixels: at an odd right or bottom edge the missing ones repeat the
        // present ones, which gives exactly the mean of the pixels that exist (doubling a sum and shifting
        // one bit further rounds identically). The 128 offset keeps the sum positive, so the shift rounds
        // half up like the luma above.
        for (var chromaRow = 0; chromaRow < chromaRows; chromaRow++)
        {
            var topRow = source.GetRow(0, chromaRow * 2);
            var bottomRow = (chromaRow * 2) + 1 < source.Height ? source.GetRow(0, (chromaRow * 2) + 1) : topRow;
            var uRow = destination.GetRow(1, chromaRow);
            var vRow = interleaved ? uRow[1..] : destination.GetRow(2, chromaRow);
            if (uRow.Length < ((chromaWidth - 1) * step) + 1 || vRow.Length < ((chromaWidth - 1) * step) + 1)
            {
                throw new ArgumentException($"chroma row {chromaRow} of the {destination.Format} frame is shorter than {chromaWidth} samples", nameof(destination));
            }

            ref var top = ref MemoryMarshal.GetReference(topRow);
            ref var bottom = ref MemoryMarshal.GetReference(bottomRow);
            ref var u = ref MemoryMarshal.GetReference(uRow);
            ref var v = ref MemoryMarshal.GetReference(vRow);
            var chromaX = Avx2.IsSupported ? ChromaRowAvx2(topRow, bottomRow, ref u, ref v, interleaved, width, blue, red, coefficients) : 0;
            for (; chromaX < chromaWidth; chromaX++)
            {
                var left = chromaX * 6;
                var right = (chromaX * 2) + 1 < width ? left + 3 : left;
                var sumBlue = Unsafe.Add(ref top, left + blue) + Unsafe.Add(ref top, right + blue) + Unsafe.Add(ref bottom, left + blue) + Unsafe.Add(ref bottom, right + blue);
                var sumGreen = Unsafe.Add(ref top, left + 1) + Unsafe.Add(ref top, right + 1) + Unsafe.Add(ref bottom, left + 1) + Unsafe.Add(ref bottom, right + 1);
                var sumRed = Unsafe.Add(ref top, left + red) + Unsafe.Add(ref top, right + red) + Unsafe.Add(ref bottom, left + red) + Unsafe.Add(ref bottom, right + red);
                Unsafe.Add(ref u, chromaX * step) = (byte)(((coefficients.UFromR * sumRed) + (coefficients.UFromG * sumGreen) + (coefficients.UFromB * sumBlue) + ChromaOffset) >> ChromaShift);
                Unsafe.Add(ref v, chromaX * step) = (byte)(((coefficients.VFromR * sumRed) + (coefficients.VFromG * sumGreen) + (coefficients.VFromB * sumBlue) + ChromaOffset) >> ChromaShift);
            }
        }
    }

    /// <summary>Full-range grey (OpenCV's GRAY): Kr R + Kg G + Kb B of the chosen matrix.</summary>
    public static void ToGray(VideoFrame source, VideoFrame destination, YuvCoefficients coefficients)
    {
        var (blue, red) = ChannelOffsets(source.Format);
        var weights = new Weights(coefficients.GrayFromR, coefficients.GrayFromG, coefficients.GrayFromB, Half);
        for (var row = 0; row < source.Height; row++)
        {
            WeighRow(source.GetRow(0, row), destination.GetRow(0, row), blue, red, weights);
        }
    }

    /// <summary>Byte offsets of blue and red inside a packed pixel; green is always in the middle.</summary>
    public static (int Blue, int Red) ChannelOffsets(PixelFormat format) => format == PixelFormat.Bgr24 ? (0, 2) : (2, 0);

    /// <summary>
    /// output[x] = (wR R + wG G + wB B + offset) &gt;&gt; 16 for one row: luma and grey differ only in weights.
    /// Walks refs because per-pixel span slicing and bounds checks cost more than the arithmetic.
    /// </summary>
    private static void WeighRow(ReadOnlySpan<byte> pixels, Span<byte> output, int blue, int red, in Weights weights)
    {
        if (pixels.Length != output.Length * 3)
        {
            throw new ArgumentException($"a row of {output.Length} pixels needs {output.Length * 3} packed bytes, got {pixels.Length}", nameof(pixels));
        }

        ref var pixel = ref MemoryMarshal.GetReference(pixels);
        ref var target = ref MemoryMarshal.GetReference(output);
        var x = Avx2.IsSupported ? WeighRowAvx2(pixels, output, blue, red, weights) : 0;
        for (; x < output.Length; x++)
        {
            ref var at = ref Unsafe.Add(ref pixel, x * 3);
            Unsafe.Add(ref target, x) = (byte)(((weights.Red * Unsafe.Add(ref at, red)) + (weights.Green * Unsafe.Add(ref at, 1)) + (weights.Blue * Unsafe.Add(ref at, blue)) + weights.Offset) >> YuvCoefficients.EncodeFractionBits);
        }
    }

    /// <summary>
    /// <see cref="WeighRow"/> eight pixels at a time in 32-bit lanes: the same products and shift as the
    /// scalar loop, so the results are identical. Returns where the scalar tail takes over.
    /// </summary>
    private static int WeighRowAvx2(ReadOnlySpan<byte> pixels, Span<byte> output, int blue, int red, in Weights weights)
    {
        const int step = 8;

        var channels = new ChannelMasks(blue, red);
        var blueWeight = Vector256.Create(weights.Blue);
        var greenWeight = Vector256.Create(weights.Green);
        var redWeight = Vector256.Create(weights.Red);
        var offset = Vector256.Create(weights.Offset);
        var gatherBytes = Vector256.Create(0, 4, 0, 0, 0, 0, 0, 0);
        ref var pixel = ref MemoryMarshal.GetReference(pixels);
        ref var target = ref MemoryMarshal.GetReference(output);
        var x = 0;
        for (; x <= output.Length - step && (3 * x) + Vector256<byte>.Count <= pixels.Length; x += step)
        {
            var (b, g, r) = channels.Load(ref pixel, 3 * x);
            var sum = (b * blueWeight) + (g * greenWeight) + (r * redWeight) + offset;
            var values = Avx2.ShiftRightArithmetic(sum, YuvCoefficients.EncodeFractionBits);

            // Narrow in-lane (values 0..255 survive both saturations), then fetch dword 0 and dword 4.
            var bytes = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(values, values), Vector256<short>.Zero);
            var packed = Avx2.PermuteVar8x32(bytes.AsInt32(), gatherBytes).AsUInt64().ToScalar();
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, x), packed);
        }

        return x;
    }

    /// <summary>
    /// The chroma loop's blocks four at a time (eight pixels of each row) in 32-bit lanes, with the same
    /// sums, products and shift as the scalar loop. Only whole 2×2 blocks; returns where the scalar loop
    /// (which also handles an odd right edge) takes over.
    /// </summary>
    private static int ChromaRowAvx2(ReadOnlySpan<byte> topRow, ReadOnlySpan<byte> bottomRow, ref byte u, ref byte v, bool interleaved, int width, int blue, int red, YuvCoefficients coefficients)
    {
        const int blocks = 4;
        var channels = new ChannelMasks(blue, red);
        var offset = Vector256.Create(ChromaOffset);

        // After the pairwise add, lanes 0, 1, 4 and 5 hold the four blocks' sums.
        var blockLanes = Vector256.Create(0, 1, 4, 5, 0, 1, 4, 5);
        ref var top = ref MemoryMarshal.GetReference(topRow);
        ref var bottom = ref MemoryMarshal.GetReference(bottomRow);
        var chromaX = 0;
        for (; chromaX + blocks <= width / 2 && (6 * chromaX) + Vector256<byte>.Count <= topRow.Length; chromaX += blocks)
        {
            var (topBlue, topGreen, topRed) = channels.Load(ref top, 6 * chromaX);
            var (bottomBlue, bottomGreen, bottomRed) = channels.Load(ref bottom, 6 * chromaX);
            var sumBlue = Avx2.HorizontalAdd(topBlue + bottomBlue, topBlue + bottomBlue);
            var sumGreen = Avx2.HorizontalAdd(topGreen + bottomGreen, topGreen + bottomGreen);
            var sumRed = Avx2.HorizontalAdd(topRed + bottomRed, topRed + bottomRed);
            var uValues = (sumRed * Vector256.Create(coefficients.UFromR)) + (sumGreen * Vector256.Create(coefficients.UFromG)) + (sumBlue * Vector256.Create(coefficients.UFromB)) + offset;
            var vValues = (sumRed * Vector256.Create(coefficients.VFromR)) + (sumGreen * Vector256.Create(coefficients.VFromG)) + (sumBlue * Vector256.Create(coefficients.VFromB)) + offset;
            var uBytes = FourBytes(Avx2.ShiftRightArithmetic(uValues, ChromaShift), blockLanes);
            var vBytes = FourBytes(Avx2.ShiftRightArithmetic(vValues, ChromaShift), blockLanes);
            if (interleaved)
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref u, 2 * chromaX), Sse2.UnpackLow(uBytes, vBytes).AsUInt64().ToScalar());
            }
            else
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref u, chromaX), uBytes.AsUInt32().ToScalar());
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref v, chromaX), vBytes.AsUInt32().ToScalar());
            }
        }

        return chromaX;

        static Vector128<byte> FourBytes(Vector256<int> values, Vector256<int> lanes)
        {
            var four = Avx2.PermuteVar8x32(values, lanes).GetLower();
            var shorts = Sse2.PackSignedSaturate(four, four);
            return Sse2.PackUnsignedSaturate(shorts, shorts);
        }
    }

    /// <summary>Spreads eight packed 3-byte pixels into one 32-bit lane per pixel and channel (AVX2).</summary>
    private readonly struct ChannelMasks
    {
        private readonly Vector256<byte> _blue;
        private readonly Vector256<byte> _green;
        private readonly Vector256<byte> _red;

        public ChannelMasks(int blue, int red)
        {
            // Byte 3i of each lane to 32-bit lane i; adding the channel offset keeps the 0x80 entries' top
            // bit set, so they still yield zero.
            var firstChannel = Vector256.Create((byte)0, 0x80, 0x80, 0x80, 3, 0x80, 0x80, 0x80, 6, 0x80, 0x80, 0x80, 9, 0x80, 0x80, 0x80, 0, 0x80, 0x80, 0x80, 3, 0x80, 0x80, 0x80, 6, 0x80, 0x80, 0x80, 9, 0x80, 0x80, 0x80);
            _blue = firstChannel + Vector256.Create((byte)blue);
            _green = firstChannel + Vector256.Create((byte)1);
            _red = firstChannel + Vector256.Create((byte)red);
        }

        /// <summary>Blue, green and red of the eight pixels starting at byte <paramref name="offset"/>; reads 32 bytes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (Vector256<int> Blue, Vector256<int> Green, Vector256<int> Red) Load(ref byte pixels, int offset)
        {
            // The 24 bytes of eight pixels sit in a 32-byte load. Moving dwords 0-3 to the low lane and 3-6
            // to the high lane puts pixels 0-3 and 4-7 each at the start of a lane (load bytes 0 and 12), so
            // one in-lane byte shuffle per channel finishes the job.
            var raw = Vector256.LoadUnsafe(ref pixels, (nuint)offset);
            var grouped = Avx2.PermuteVar8x32(raw.AsInt32(), Vector256.Create(0, 1, 2, 3, 3, 4, 5, 6)).AsByte();
            return (Avx2.Shuffle(grouped, _blue).AsInt32(), Avx2.Shuffle(grouped, _green).AsInt32(), Avx2.Shuffle(grouped, _red).AsInt32());
        }
    }

    /// <summary>Per-channel weights and the constant (offset plus rounding half) of one output plane.</summary>
    private readonly record struct Weights(int Red, int Green, int Blue, int Offset);
}
