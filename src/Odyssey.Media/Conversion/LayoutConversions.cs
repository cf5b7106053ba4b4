using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Odyssey.Media;

/// <summary>
/// Conversions that need no colour matrix: copies, channel swaps, chroma (de)interleaving, and moving grey
/// between full range (GRAY8) and limited-range luma. All stride-aware, row by row. The byte-moving ones
/// use 128-bit vectors (portable: x86 and Arm alike) with a scalar tail; they never touch stride padding.
/// </summary>
internal static class LayoutConversions
{
    private const int Half = 1 << (YuvCoefficients.EncodeFractionBits - 1);

    /// <summary>Neutral chroma: what a grey picture's U and V are.</summary>
    private const byte NeutralChroma = 128;

    public static void Copy(VideoFrame source, VideoFrame destination)
    {
        for (var plane = 0; plane < source.PlaneCount; plane++)
        {
            CopyPlane(source, destination, plane, plane);
        }
    }

    /// <summary>BGR24 ↔ RGB24: the same swap both ways.</summary>
    public static void SwapRedBlue(VideoFrame source, VideoFrame destination)
    {
        // Five whole pixels per 16-byte vector; byte 15 is copied unchanged and rewritten by the next step,
        // which starts 15 bytes on. Loads never run ahead of stores, so source may equal destination.
        const int pixelBytes = 15;
        var swap = Vector128.Create((byte)2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9, 14, 13, 12, 15);
        for (var row = 0; row < source.Height; row++)
        {
            var input = source.GetRow(0, row);
            var output = destination.GetRow(0, row);
            var offset = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                ref var from = ref MemoryMarshal.GetReference(input);
                ref var to = ref MemoryMarshal.GetReference(output);
                for (; offset <= input.Length - Vector128<byte>.Count; offset += pixelBytes)
                {
                    Vector128.Shuffle(Vector128.LoadUnsafe(ref from, (nuint)offset), swap).StoreUnsafe(ref to, (nuint)offset);
                }
            }

            for (; offset < input.Length; offset += 3)
            {
                // Read all three first: source and destination may be the same frame.
                var first = input[offset];
                var second = input[offset + 1];
                var third = input[offset + 2];
                output[offset] = third;
                output[offset + 1] = second;
                output[offset + 2] = first;
            }
        }
    }

    public static void I420ToNv12(VideoFrame source, VideoFrame destination)
    {
        CopyPlane(source, destination, 0, 0);
        for (var row = 0; row < PixelFormats.PlaneHeight(source.Format, 1, source.Height); row++)
        {
            var u = source.GetRow(1, row);
            var v = source.GetRow(2, row);
            var uv = destination.GetRow(1, row);
            var x = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                ref var uStart = ref MemoryMarshal.GetReference(u);
                ref var vStart = ref MemoryMarshal.GetReference(v);
                ref var uvStart = ref MemoryMarshal.GetReference(uv);
                for (; x <= u.Length - Vector128<byte>.Count; x += Vector128<byte>.Count)
                {
                    // Little-endian 16-bit lanes of U | V << 8 are the interleaved byte pairs.
                    var uBytes = Vector128.LoadUnsafe(ref uStart, (nuint)x);
                    var vBytes = Vector128.LoadUnsafe(ref vStart, (nuint)x);
                    var low = Vector128.WidenLower(uBytes) | Vector128.ShiftLeft(Vector128.WidenLower(vBytes), 8);
                    var high = Vector128.WidenUpper(uBytes) | Vector128.ShiftLeft(Vector128.WidenUpper(vBytes), 8);
                    low.AsByte().StoreUnsafe(ref uvStart, (nuint)(2 * x));
                    high.AsByte().StoreUnsafe(ref uvStart, (nuint)((2 * x) + Vector128<byte>.Count));
                }
            }

            for (; x < u.Length; x++)
            {
                uv[2 * x] = u[x];
                uv[(2 * x) + 1] = v[x];
            }
        }
    }

    public static void Nv12ToI420(VideoFrame source, VideoFrame destination)
    {
        CopyPlane(source, destination, 0, 0);
        for (var row = 0; row < PixelFormats.PlaneHeight(source.Format, 1, source.Height); row++)
        {
            var uv = source.GetRow(1, row);
            var u = destination.GetRow(1, row);
            var v = destination.GetRow(2, row);
            var x = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                ref var uvStart = ref MemoryMarshal.GetReference(uv);
                ref var uStart = ref MemoryMarshal.GetReference(u);
                ref var vStart = ref MemoryMarshal.GetReference(v);
                var lowByte = Vector128.Create((ushort)0x00FF);
                for (; x <= u.Length - Vector128<byte>.Count; x += Vector128<byte>.Count)
                {
                    var first = Vector128.LoadUnsafe(ref uvStart, (nuint)(2 * x)).AsUInt16();
                    var second = Vector128.LoadUnsafe(ref uvStart, (nuint)((2 * x) + Vector128<byte>.Count)).AsUInt16();
                    Vector128.Narrow(first & lowByte, second & lowByte).StoreUnsafe(ref uStart, (nuint)x);
                    Vector128.Narrow(Vector128.ShiftRightLogical(first, 8), Vector128.ShiftRightLogical(second, 8)).StoreUnsafe(ref vStart, (nuint)x);
                }
            }

            for (; x < u.Length; x++)
            {
                u[x] = uv[2 * x];
                v[x] = uv[(2 * x) + 1];
            }
        }
    }

    /// <summary>I420/NV12 → GRAY8: the luma plane stretched from 16..235 to 0..255.</summary>
    public static void LumaToGray(VideoFrame source, VideoFrame destination)
    {
        var expand = YuvCoefficients.LumaExpand;
        for (var row = 0; row < source.Height; row++)
        {
            var luma = source.GetRow(0, row);
            var gray = destination.GetRow(0, row);
            for (var x = 0; x < luma.Length; x++)
            {
                gray[x] = (byte)Math.Clamp((((luma[x] - 16) * expand) + Half) >> YuvCoefficients.EncodeFractionBits, 0, byte.MaxValue);
            }
        }
    }

    /// <summary>GRAY8 → I420/NV12: luma squeezed into 16..235, chroma neutral.</summary>
    public static void GrayToYuv420(VideoFrame source, VideoFrame destination)
    {
        var compress = YuvCoefficients.LumaCompress;
        for (var row = 0; row < source.Height; row++)
        {
            var gray = source.GetRow(0, row);
            var luma = destination.GetRow(0, row);
            for (var x = 0; x < gray.Length; x++)
            {
                luma[x] = (byte)(((gray[x] * compress) + (16 << YuvCoefficients.EncodeFractionBits) + Half) >> YuvCoefficients.EncodeFractionBits);
            }
        }

        for (var plane = 1; plane < destination.PlaneCount; plane++)
        {
            for (var row = 0; row < PixelFormats.PlaneHeight(destination.Format, plane, destination.Height); row++)
            {
                destination.GetRow(plane, row).Fill(NeutralChroma);
            }
        }
    }

    /// <summary>GRAY8 → BGR24/RGB24: the grey level in all three channels.</summary>
    public static void GrayToPacked(VideoFrame source, VideoFrame destination)
    {
        for (var row = 0; row < source.Height; row++)
        {
            var gray = source.GetRow(0, row);
            var output = destination.GetRow(0, row);
            var x = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                ref var grayStart = ref MemoryMarshal.GetReference(gray);
                ref var outputStart = ref MemoryMarshal.GetReference(output);
                for (; x <= gray.Length - Vector128<byte>.Count; x += Vector128<byte>.Count)
                {
                    var levels = Vector128.LoadUnsafe(ref grayStart, (nuint)x);
                    PackedPixels.Store(levels, levels, levels, ref outputStart, (nuint)(3 * x));
                }
            }

            for (; x < gray.Length; x++)
            {
                var level = gray[x];
                output[3 * x] = level;
                output[(3 * x) + 1] = level;
                output[(3 * x) + 2] = level;
            }
        }
    }

    private static void CopyPlane(VideoFrame source, VideoFrame destination, int sourcePlane, int destinationPlane)
    {
        var rows = PixelFormats.PlaneHeight(source.Format, sourcePlane, source.Height);
        for (var row = 0; row < rows; row++)
        {
            source.GetRow(sourcePlane, row).CopyTo(destination.GetRow(destinationPlane, row));
        }
    }
}
