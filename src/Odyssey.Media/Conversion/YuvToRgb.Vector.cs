using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Odyssey.Media;

/// <summary>
/// The vector kernels. Each computes exactly <see cref="YuvToRgb.ConvertReference"/>'s integers in 16-bit
/// lanes: chroma terms for a run of chroma samples, each duplicated to its two luma columns, then per row
/// luma term + chroma term, shift, saturate to bytes, and a packed store.
/// </summary>
internal static partial class YuvToRgb
{
    /// <summary>Luma pixels per AVX2 iteration (16 chroma samples).</summary>
    private const int Avx2Step = 32;

    /// <summary>Luma pixels per 128-bit iteration (8 chroma samples).</summary>
    private const int Vector128Step = 16;

    /// <summary>(C &lt;&lt; 8) ^ 0x8000 equals (C - 128) &lt;&lt; 8 in 16 bits: one xor instead of a subtract and a shift.</summary>
    private const short ChromaCentre = unchecked((short)0x8000);

    /// <summary>Converts whole 32-pixel runs of both rows with AVX2; returns where it stopped.</summary>
    /// <remarks>
    /// Optimised at its first call rather than tiered: unoptimised (tier-0) code neither inlines the
    /// vector helpers nor keeps vectors in registers, and runs many times slower, while a 720p frame calls
    /// this 360 times, so a fresh process (e.g. `odyssey-pipeline run` on a file) spent its first frames
    /// in slow code before tier-up. Seen as tier-0 samples of this kernel in benchmarks/side-by-side.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ConvertAvx2(in RowPair rows, int width, bool interleaved, bool blueFirst, YuvCoefficients coefficients)
    {
        ref var luma0 = ref MemoryMarshal.GetReference(rows.Luma0);
        ref var luma1 = ref MemoryMarshal.GetReference(rows.Luma1);
        ref var u = ref MemoryMarshal.GetReference(rows.U);
        ref var v = ref MemoryMarshal.GetReference(rows.V);
        ref var output0 = ref MemoryMarshal.GetReference(rows.Output0);
        ref var output1 = ref MemoryMarshal.GetReference(rows.Output1);
        var lumaFactor = Vector256.Create(coefficients.LumaFactor);
        var blueFromU = Vector256.Create(coefficients.BlueFromU);
        var greenFromU = Vector256.Create(coefficients.GreenFromU);
        var greenFromV = Vector256.Create(coefficients.GreenFromV);
        var redFromV = Vector256.Create(coefficients.RedFromV);
        var bias = Vector256.Create(coefficients.DecodeBias);
        var centre = Vector256.Create(ChromaCentre);
        var x = 0;
        for (; x <= width - Avx2Step; x += Avx2Step)
        {
            Vector256<short> cu, cv;
            if (interleaved)
            {
                // U in the low byte of each 16-bit lane, V in the high byte: chroma sample i is lane i.
                var uv = Vector256.LoadUnsafe(ref u, (nuint)x).AsInt16();
                cu = Avx2.ShiftLeftLogical(uv, 8) ^ centre;
                cv = (uv & Vector256.Create(unchecked((short)0xFF00))) ^ centre;
            }
            else
            {
                var chromaX = (nuint)(x / 2);
                cu = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref u, chromaX)), 8) ^ centre;
                cv = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref v, chromaX)), 8) ^ centre;
            }

            var blue = Avx2.MultiplyHighRoundScale(cu, blueFromU) + bias;
            var green = Avx2.MultiplyHighRoundScale(cu, greenFromU) + Avx2.MultiplyHighRoundScale(cv, greenFromV) + bias;
            var red = Avx2.MultiplyHighRoundScale(cv, redFromV) + bias;
            var first = blueFirst ? blue : red;
            var third = blueFirst ? red : blue;

            // The in-lane unpacks pair chroma samples 0-3|8-11 and 4-7|12-15 with luma 0-7|16-23 and
            // 8-15|24-31, which is exactly the order the luma unpacks below produce.
            var chroma = new ChromaPairAvx2(
                Avx2.UnpackLow(first, first), Avx2.UnpackHigh(first, first),
                Avx2.UnpackLow(green, green), Avx2.UnpackHigh(green, green),
                Avx2.UnpackLow(third, third), Avx2.UnpackHigh(third, third));
            RowAvx2(ref luma0, ref output0, x, lumaFactor, chroma);
            RowAvx2(ref luma1, ref output1, x, lumaFactor, chroma);
        }

        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowAvx2(ref byte luma, ref byte output, int x, Vector256<short> lumaFactor, in ChromaPairAvx2 chroma)
    {
        var y = Vector256.LoadUnsafe(ref luma, (nuint)x);

        // Unpacking with zero in the low byte gives Y << 8; a logical shift right by one makes it Y << 7.
        var low = Avx2.MultiplyHighRoundScale(Avx2.ShiftRightLogical(Avx2.UnpackLow(Vector256<byte>.Zero, y).AsInt16(), 8 - YuvCoefficients.LumaInputShift), lumaFactor);
        var high = Avx2.MultiplyHighRoundScale(Avx2.ShiftRightLogical(Avx2.UnpackHigh(Vector256<byte>.Zero, y).AsInt16(), 8 - YuvCoefficients.LumaInputShift), lumaFactor);

        // The in-lane pack undoes the in-lane unpack, so the bytes come out in pixel order.
        var first = Avx2.PackUnsignedSaturate(
            Avx2.ShiftRightArithmetic(Avx2.AddSaturate(low, chroma.FirstLow), YuvCoefficients.DecodeFractionBits),
            Avx2.ShiftRightArithmetic(Avx2.AddSaturate(high, chroma.FirstHigh), YuvCoefficients.DecodeFractionBits));
        var second = Avx2.PackUnsignedSaturate(
            Avx2.ShiftRightArithmetic(Avx2.AddSaturate(low, chroma.SecondLow), YuvCoefficients.DecodeFractionBits),
            Avx2.ShiftRightArithmetic(Avx2.AddSaturate(high, chroma.SecondHigh), YuvCoefficients.DecodeFractionBits));
        var third = Avx2.PackUnsignedSaturate(
            Avx2.ShiftRightArithmetic(Avx2.AddSaturate(low, chroma.ThirdLow), YuvCoefficients.DecodeFractionBits),
            Avx2.ShiftRightArithmetic(Avx2.AddSaturate(high, chroma.ThirdHigh), YuvCoefficients.DecodeFractionBits));
        PackedPixels.StoreAvx2(first, second, third, ref output, (nuint)x * 3);
    }

    /// <summary>
    /// Converts 16-pixel runs from <paramref name="x"/> with 128-bit vectors: the whole row where AVX2 is
    /// missing (SSSE3, Arm NEON, or the portable fallbacks), otherwise the remainder after the AVX2 loop.
    /// </summary>
    private static int ConvertVector128(in RowPair rows, int x, int width, bool interleaved, bool blueFirst, YuvCoefficients coefficients)
    {
        ref var luma0 = ref MemoryMarshal.GetReference(rows.Luma0);
        ref var luma1 = ref MemoryMarshal.GetReference(rows.Luma1);
        ref var u = ref MemoryMarshal.GetReference(rows.U);
        ref var v = ref MemoryMarshal.GetReference(rows.V);
        ref var output0 = ref MemoryMarshal.GetReference(rows.Output0);
        ref var output1 = ref MemoryMarshal.GetReference(rows.Output1);
        var lumaFactor = Vector128.Create(coefficients.LumaFactor);
        var blueFromU = Vector128.Create(coefficients.BlueFromU);
        var greenFromU = Vector128.Create(coefficients.GreenFromU);
        var greenFromV = Vector128.Create(coefficients.GreenFromV);
        var redFromV = Vector128.Create(coefficients.RedFromV);
        var bias = Vector128.Create(coefficients.DecodeBias);
        var centre = Vector128.Create(ChromaCentre);
        for (; x <= width - Vector128Step; x += Vector128Step)
        {
            Vector128<short> cu, cv;
            if (interleaved)
            {
                var uv = Vector128.LoadUnsafe(ref u, (nuint)x).AsInt16();
                cu = Vector128.ShiftLeft(uv, 8) ^ centre;
                cv = (uv & Vector128.Create(unchecked((short)0xFF00))) ^ centre;
            }
            else
            {
                var chromaX = x / 2;
                var uBytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref u, chromaX))).AsByte();
                var vBytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref v, chromaX))).AsByte();
                cu = Vector128.ShiftLeft(Vector128.WidenLower(uBytes).AsInt16(), 8) ^ centre;
                cv = Vector128.ShiftLeft(Vector128.WidenLower(vBytes).AsInt16(), 8) ^ centre;
            }

            var blue = MultiplyHighRound(cu, blueFromU) + bias;
            var green = MultiplyHighRound(cu, greenFromU) + MultiplyHighRound(cv, greenFromV) + bias;
            var red = MultiplyHighRound(cv, redFromV) + bias;
            var first = blueFirst ? blue : red;
            var third = blueFirst ? red : blue;
            var chroma = new ChromaPair128(
                ZipLow(first), ZipHigh(first),
                ZipLow(green), ZipHigh(green),
                ZipLow(third), ZipHigh(third));
            Row128(ref luma0, ref output0, x, lumaFactor, chroma);
            Row128(ref luma1, ref output1, x, lumaFactor, chroma);
        }

        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row128(ref byte luma, ref byte output, int x, Vector128<short> lumaFactor, in ChromaPair128 chroma)
    {
        var y = Vector128.LoadUnsafe(ref luma, (nuint)x);
        var low = MultiplyHighRound(Vector128.ShiftLeft(Vector128.WidenLower(y).AsInt16(), YuvCoefficients.LumaInputShift), lumaFactor);
        var high = MultiplyHighRound(Vector128.ShiftLeft(Vector128.WidenUpper(y).AsInt16(), YuvCoefficients.LumaInputShift), lumaFactor);
        var first = ToBytes(low, high, chroma.FirstLow, chroma.FirstHigh);
        var second = ToBytes(low, high, chroma.SecondLow, chroma.SecondHigh);
        var third = ToBytes(low, high, chroma.ThirdLow, chroma.ThirdHigh);
        PackedPixels.Store(first, second, third, ref output, (nuint)x * 3);
    }

    /// <summary>(luma + chroma) &gt;&gt; fraction, saturated to bytes, for 16 pixels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> ToBytes(Vector128<short> lumaLow, Vector128<short> lumaHigh, Vector128<short> chromaLow, Vector128<short> chromaHigh)
    {
        var low = Vector128.ShiftRightArithmetic(AddSaturate(lumaLow, chromaLow), YuvCoefficients.DecodeFractionBits);
        var high = Vector128.ShiftRightArithmetic(AddSaturate(lumaHigh, chromaHigh), YuvCoefficients.DecodeFractionBits);
        if (Sse2.IsSupported)
        {
            return Sse2.PackUnsignedSaturate(low, high);
        }

        if (AdvSimd.IsSupported)
        {
            return AdvSimd.ExtractNarrowingSaturateUnsignedUpper(AdvSimd.ExtractNarrowingSaturateUnsignedLower(low), high);
        }

        var max = Vector128.Create((short)byte.MaxValue);
        return Vector128.Narrow(
            Vector128.Min(Vector128.Max(low, Vector128<short>.Zero), max).AsUInt16(),
            Vector128.Min(Vector128.Max(high, Vector128<short>.Zero), max).AsUInt16());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> AddSaturate(Vector128<short> left, Vector128<short> right) =>
        Sse2.IsSupported ? Sse2.AddSaturate(left, right) : Vector128.AddSaturate(left, right);

    /// <summary>The same (a * b + 2^14) &gt;&gt; 15 as <see cref="YuvCoefficients.MultiplyHighRound"/>, per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> MultiplyHighRound(Vector128<short> left, Vector128<short> right)
    {
        if (Ssse3.IsSupported)
        {
            return Ssse3.MultiplyHighRoundScale(left, right);
        }

        if (AdvSimd.IsSupported)
        {
            // sqrdmulh = sat((2ab + 2^15) >> 16), the same value; it saturates only for -32768 * -32768,
            // which cannot occur: every coefficient is well inside ±32767.
            return AdvSimd.MultiplyRoundedDoublingSaturateHigh(left, right);
        }

        var round = Vector128.Create(1 << 14);
        var low = (Vector128.WidenLower(left) * Vector128.WidenLower(right)) + round;
        var high = (Vector128.WidenUpper(left) * Vector128.WidenUpper(right)) + round;
        return Vector128.Narrow(Vector128.ShiftRightArithmetic(low, 15), Vector128.ShiftRightArithmetic(high, 15));
    }

    /// <summary>Lanes 0,0,1,1,2,2,3,3: each chroma term for its two luma columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> ZipLow(Vector128<short> value) =>
        Sse2.IsSupported ? Sse2.UnpackLow(value, value)
        : AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.ZipLow(value, value)
        : Vector128.Shuffle(value, Vector128.Create((short)0, 0, 1, 1, 2, 2, 3, 3));

    /// <summary>Lanes 4,4,5,5,6,6,7,7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> ZipHigh(Vector128<short> value) =>
        Sse2.IsSupported ? Sse2.UnpackHigh(value, value)
        : AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.ZipHigh(value, value)
        : Vector128.Shuffle(value, Vector128.Create((short)4, 4, 5, 5, 6, 6, 7, 7));

    /// <summary>Duplicated chroma terms of one AVX2 iteration, per output channel in memory order.</summary>
    private readonly record struct ChromaPairAvx2(
        Vector256<short> FirstLow, Vector256<short> FirstHigh,
        Vector256<short> SecondLow, Vector256<short> SecondHigh,
        Vector256<short> ThirdLow, Vector256<short> ThirdHigh);

    /// <summary>Duplicated chroma terms of one 128-bit iteration, per output channel in memory order.</summary>
    private readonly record struct ChromaPair128(
        Vector128<short> FirstLow, Vector128<short> FirstHigh,
        Vector128<short> SecondLow, Vector128<short> SecondHigh,
        Vector128<short> ThirdLow, Vector128<short> ThirdHigh);
}
