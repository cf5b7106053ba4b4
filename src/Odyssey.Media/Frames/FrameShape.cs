namespace Odyssey.Media;

/// <summary>
/// Width, height and format: the key under which a pool keeps interchangeable buffers. A padded shape
/// (<see cref="PaddedWidth"/>/<see cref="PaddedHeight"/> non-zero) is one a decoder writes into directly:
/// its rows span the codec's aligned width and it has the codec's extra rows, so padded and plain frames
/// of the same picture size never mix in the pool.
/// </summary>
internal readonly record struct FrameShape(int Width, int Height, PixelFormat Format, int PaddedWidth = 0, int PaddedHeight = 0)
{
    /// <summary>Rows start on this boundary so vector loads and OpenCV's SIMD paths stay aligned.</summary>
    public const int RowAlignment = 32;

    /// <summary>
    /// Every plane starts on this address boundary: libavcodec requires plane addresses aligned to the
    /// widest vector it was built for (64 bytes with AVX-512) when it decodes into our buffers.
    /// </summary>
    public const int PlaneAlignment = 64;

    /// <summary>
    /// Bytes after each padded plane that a decoder may touch: libavcodec's own allocator adds
    /// 16 + STRIDE_ALIGN - 1 to every plane, and its SIMD code relies on it.
    /// </summary>
    public const int DecoderOverrun = 16 + PlaneAlignment - 1;

    public int PlaneCount => PixelFormats.PlaneCount(Format);

    /// <summary>True for a shape libavcodec decodes into (see the type's remarks).</summary>
    public bool IsPadded => PaddedHeight != 0;

    /// <summary>
    /// Bytes per row. Padded shapes use exactly the codec's linesizes for the aligned width (the decoder
    /// chose that width so every plane's row is a multiple of its alignment).
    /// </summary>
    public int Stride(int plane) => IsPadded
        ? PixelFormats.RowBytes(Format, plane, PaddedWidth)
        : AlignUp(PixelFormats.RowBytes(Format, plane, Width), RowAlignment);

    /// <summary>Rows allocated for <paramref name="plane"/>: the codec's padded rows, or the picture's.</summary>
    public int AllocatedRows(int plane) => PixelFormats.PlaneHeight(Format, plane, IsPadded ? PaddedHeight : Height);

    /// <summary>
    /// Bytes from one plane's start to the next's. Padded planes each start on <see cref="PlaneAlignment"/>
    /// (libavcodec checks every plane); plain planes stay back to back, as they always were, so code that
    /// reads an I420 frame as one block keeps working.
    /// </summary>
    public int PlaneSpan(int plane) => IsPadded
        ? AlignUp((Stride(plane) * AllocatedRows(plane)) + DecoderOverrun, PlaneAlignment)
        : Stride(plane) * AllocatedRows(plane);

    /// <summary>Bytes of the planes from the first plane's (aligned) start.</summary>
    public int PlanesSize()
    {
        var size = 0;
        for (var plane = 0; plane < PlaneCount; plane++)
        {
            size += PlaneSpan(plane);
        }

        return size;
    }

    /// <summary>Bytes to allocate: the planes plus the slack that lets the first plane start aligned.</summary>
    public int BufferSize() => PlanesSize() + PlaneAlignment - 1;

    private static int AlignUp(int value, int alignment) => (value + alignment - 1) / alignment * alignment;
}
