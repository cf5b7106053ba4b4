namespace Odyssey.Media;

/// <summary>Width, height and format: the key under which a pool keeps interchangeable buffers.</summary>
internal readonly record struct FrameShape(int Width, int Height, PixelFormat Format)
{
    /// <summary>Rows start on this boundary so vector loads and OpenCV's SIMD paths stay aligned.</summary>
    public const int RowAlignment = 32;

    public int PlaneCount => PixelFormats.PlaneCount(Format);

    public int Stride(int plane) => (PixelFormats.RowBytes(Format, plane, Width) + RowAlignment - 1) / RowAlignment * RowAlignment;

    public int BufferSize()
    {
        var size = 0;
        for (var plane = 0; plane < PlaneCount; plane++)
        {
            size += Stride(plane) * PixelFormats.PlaneHeight(Format, plane, Height);
        }

        return size;
    }
}
