namespace Odyssey.Media;

/// <summary>
/// Conversions that need no colour matrix: copies, channel swaps, chroma (de)interleaving, and moving grey
/// between full range (GRAY8) and limited-range luma. All stride-aware, row by row.
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
        for (var row = 0; row < source.Height; row++)
        {
            var input = source.GetRow(0, row);
            var output = destination.GetRow(0, row);
            for (var offset = 0; offset < input.Length; offset += 3)
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
            for (var x = 0; x < u.Length; x++)
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
            for (var x = 0; x < u.Length; x++)
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
            for (var x = 0; x < gray.Length; x++)
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
