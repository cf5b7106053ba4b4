namespace Odyssey.Media;

/// <summary>
/// One raw video picture in pooled, pinned memory, reference counted. Rented from a
/// <see cref="VideoFramePool"/> with one reference; the last <see cref="Release"/> returns it.
/// Planes are stride-aware: a row may be longer than its pixels (<see cref="GetStride"/>).
/// </summary>
public sealed class VideoFrame : IRefCounted
{
    private readonly VideoFramePool _pool;
    private readonly byte[] _buffer;
    private readonly int[] _offsets = new int[3];
    private readonly int[] _strides = new int[3];
    private readonly int _start;
    private ReferenceCount _references;
    private int _width;
    private int _height;

    internal unsafe VideoFrame(VideoFramePool pool, FrameShape shape, byte[] buffer)
    {
        _pool = pool;
        _buffer = buffer;
        Shape = shape;
        _width = shape.Width;
        _height = shape.Height;

        // The array lives on the pinned object heap, so its address, and this offset, never change.
        fixed (byte* start = buffer)
        {
            var misalignment = (int)((nuint)start % FrameShape.PlaneAlignment);
            _start = misalignment == 0 ? 0 : FrameShape.PlaneAlignment - misalignment;
        }

        var offset = _start;
        for (var plane = 0; plane < shape.PlaneCount; plane++)
        {
            _offsets[plane] = offset;
            _strides[plane] = shape.Stride(plane);
            offset += shape.PlaneSpan(plane);
        }
    }

    internal FrameShape Shape { get; }

    /// <summary>Width in pixels.</summary>
    public int Width => _width;

    /// <summary>Height in pixels.</summary>
    public int Height => _height;

    /// <summary>Pixel layout.</summary>
    public PixelFormat Format => Shape.Format;

    /// <summary>Number of planes of <see cref="Format"/>.</summary>
    public int PlaneCount => Shape.PlaneCount;

    /// <summary>Sequence number given by the source: lets sinks and tests see order and loss.</summary>
    public long Index { get; set; }

    /// <summary>Presentation timestamp, relative to the stream's start.</summary>
    public TimeSpan Pts { get; set; }

    /// <summary>Wall-clock time at which the picture was captured or produced.</summary>
    public DateTimeOffset CaptureTime { get; set; }

    /// <summary>Current number of owners; 0 means the frame is back in its pool.</summary>
    public int ReferenceCount => _references.Current;

    /// <summary>Bytes from one row to the next in <paramref name="plane"/>.</summary>
    public int GetStride(int plane)
    {
        CheckPlane(plane);
        return _strides[plane];
    }

    /// <summary>The whole of <paramref name="plane"/>, stride padding included.</summary>
    public Span<byte> GetPlane(int plane)
    {
        CheckPlane(plane);
        return _buffer.AsSpan(_offsets[plane], _strides[plane] * PixelFormats.PlaneHeight(Format, plane, Height));
    }

    /// <summary>One row of <paramref name="plane"/>, pixels only.</summary>
    public Span<byte> GetRow(int plane, int row)
    {
        CheckPlane(plane);
        var rows = PixelFormats.PlaneHeight(Format, plane, Height);
        if ((uint)row >= (uint)rows)
        {
            // Without this check a row past the end silently aliases the next plane's bytes.
            throw new ArgumentOutOfRangeException(nameof(row), row, $"plane {plane} of a {Width}x{Height} {Format} frame has {rows} rows");
        }

        return _buffer.AsSpan(_offsets[plane] + (row * _strides[plane]), PixelFormats.RowBytes(Format, plane, Width));
    }

    /// <summary>
    /// Address of <paramref name="plane"/>'s first byte. The buffer lives on the pinned object heap,
    /// so the address is stable for as long as the caller holds a reference.
    /// </summary>
    public unsafe nint GetPlanePointer(int plane)
    {
        CheckPlane(plane);
        fixed (byte* start = &_buffer[_offsets[plane]])
        {
            return (nint)start;
        }
    }

    /// <summary>Copies pixels, index and timestamps from <paramref name="source"/>, which must have the same shape.</summary>
    public void CopyFrom(VideoFrame source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Width != Width || source.Height != Height || source.Format != Format)
        {
            throw new ArgumentException($"cannot copy a {source.Width}x{source.Height} {source.Format} frame into a {Width}x{Height} {Format} frame", nameof(source));
        }

        for (var plane = 0; plane < PlaneCount; plane++)
        {
            var rows = PixelFormats.PlaneHeight(Format, plane, Height);
            for (var row = 0; row < rows; row++)
            {
                source.GetRow(plane, row).CopyTo(GetRow(plane, row));
            }
        }

        CopyMetadataFrom(source);
    }

    /// <summary>Copies index and timestamps (not pixels) from <paramref name="source"/>.</summary>
    public void CopyMetadataFrom(VideoFrame source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Index = source.Index;
        Pts = source.Pts;
        CaptureTime = source.CaptureTime;
    }

    /// <inheritdoc />
    public void AddRef() => _references.Increment("a video frame");

    /// <inheritdoc />
    public void Release()
    {
        if (_references.Decrement("video frame"))
        {
            _pool.Return(this);
        }
    }

    /// <summary>
    /// Address and length of the planes as one block (first plane's start to the last one's end), for
    /// handing the whole frame to a decoder.
    /// </summary>
    internal unsafe (nint Start, int Length) GetPlanesBlock()
    {
        fixed (byte* start = &_buffer[_start])
        {
            return ((nint)start, Shape.PlanesSize());
        }
    }

    /// <summary>
    /// Shows only the top-left <paramref name="width"/> x <paramref name="height"/> pixels: a decoder
    /// allocates for the coded size (1088 rows for 1080p H.264) and crops on output.
    /// </summary>
    internal void SetVisibleSize(int width, int height)
    {
        if (width <= 0 || height <= 0 || width > Shape.Width || height > Shape.Height)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height} does not fit a {Shape.Width}x{Shape.Height} frame");
        }

        _width = width;
        _height = height;
    }

    internal void Revive()
    {
        _references.Reset();
        _width = Shape.Width;
        _height = Shape.Height;
        Index = 0;
        Pts = TimeSpan.Zero;
        CaptureTime = default;
    }

    private void CheckPlane(int plane)
    {
        if ((uint)plane >= (uint)PlaneCount)
        {
            throw new ArgumentOutOfRangeException(nameof(plane), plane, $"{Format} has {PlaneCount} plane(s)");
        }
    }
}
