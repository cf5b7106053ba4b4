namespace Odyssey.Media.Tests.Frames;

public class VideoFrameTests
{
    public static TheoryData<int, int, PixelFormat> Shapes()
    {
        var data = new TheoryData<int, int, PixelFormat>();
        foreach (var format in Enum.GetValues<PixelFormat>())
        {
            data.Add(1, 1, format);
            data.Add(33, 7, format);
            data.Add(640, 360, format);
            data.Add(641, 361, format);
        }

        return data;
    }

    [Fact]
    public void AddRef_ThenRelease_CountsReferences()
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(16, 16, PixelFormat.Bgr24);

        frame.AddRef();
        frame.AddRef();
        Assert.Equal(3, frame.ReferenceCount);

        frame.Release();
        frame.Release();
        Assert.Equal(1, frame.ReferenceCount);
        Assert.Equal(1, pool.Outstanding);

        frame.Release();
        Assert.Equal(0, frame.ReferenceCount);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void Release_Twice_ThrowsAndLeavesCountAtZero()
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(16, 16, PixelFormat.Gray8);
        frame.Release();

        Assert.Throws<InvalidOperationException>(frame.Release);
        Assert.Equal(0, frame.ReferenceCount);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void AddRef_AfterReturnToPool_ThrowsAndFrameStaysReturned()
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(16, 16, PixelFormat.Gray8);
        frame.Release();

        Assert.Throws<InvalidOperationException>(frame.AddRef);

        // The failed AddRef must not resurrect the frame: a later Release still counts as one too many.
        Assert.Equal(0, frame.ReferenceCount);
        Assert.Throws<InvalidOperationException>(frame.Release);
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void GetStride_AnyShape_AlignedAndCoversRow(int width, int height, PixelFormat format)
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(width, height, format);

        for (var plane = 0; plane < frame.PlaneCount; plane++)
        {
            var stride = frame.GetStride(plane);
            Assert.Equal(0, stride % FrameShape.RowAlignment);
            Assert.True(stride >= PixelFormats.RowBytes(format, plane, width), $"plane {plane} stride {stride} shorter than its row");
            Assert.Equal(PixelFormats.RowBytes(format, plane, width), frame.GetRow(plane, 0).Length);
            Assert.Equal(stride * PixelFormats.PlaneHeight(format, plane, height), frame.GetPlane(plane).Length);
        }

        frame.Release();
    }

    [Theory]
    [InlineData(PixelFormat.I420, 3, 5, 3)]
    [InlineData(PixelFormat.Nv12, 2, 5, 3)]
    [InlineData(PixelFormat.Bgr24, 1, 5, 5)]
    public void PlaneGeometry_OddSize_ChromaRoundsUp(PixelFormat format, int planes, int lumaRows, int chromaRows)
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(7, 5, format);

        Assert.Equal(planes, frame.PlaneCount);
        Assert.Equal(lumaRows, PixelFormats.PlaneHeight(format, 0, frame.Height));
        if (planes > 1)
        {
            Assert.Equal(chromaRows, PixelFormats.PlaneHeight(format, 1, frame.Height));
            Assert.Equal(format == PixelFormat.Nv12 ? 8 : 4, frame.GetRow(1, chromaRows - 1).Length);
        }

        frame.Release();
    }

    [Fact]
    public void GetRow_OutOfRange_Throws()
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(8, 5, PixelFormat.I420);

        Assert.Throws<ArgumentOutOfRangeException>(() => frame.GetRow(0, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.GetRow(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.GetRow(1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.GetRow(3, 0));
        Assert.Equal(4, frame.GetRow(2, 2).Length);
        frame.Release();
    }

    [Fact]
    public void GetPlane_OutOfRange_Throws()
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(8, 8, PixelFormat.Nv12);

        Assert.Throws<ArgumentOutOfRangeException>(() => frame.GetPlane(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.GetPlane(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.GetStride(2));
        frame.Release();
    }

    [Fact]
    public void Planes_DoNotOverlap()
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(9, 5, PixelFormat.I420);
        for (var plane = 0; plane < frame.PlaneCount; plane++)
        {
            frame.GetPlane(plane).Fill((byte)(plane + 1));
        }

        for (var plane = 0; plane < frame.PlaneCount; plane++)
        {
            Assert.All(frame.GetPlane(plane).ToArray(), b => Assert.Equal(plane + 1, b));
        }

        frame.Release();
    }

    [Fact]
    public void CopyFrom_SameShape_CopiesPixelsAndMetadata()
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(13, 7, PixelFormat.I420);
        var destination = pool.Rent(13, 7, PixelFormat.I420);
        for (var plane = 0; plane < source.PlaneCount; plane++)
        {
            for (var row = 0; row < PixelFormats.PlaneHeight(source.Format, plane, source.Height); row++)
            {
                var bytes = source.GetRow(plane, row);
                for (var x = 0; x < bytes.Length; x++)
                {
                    bytes[x] = (byte)((plane * 50) + (row * 7) + x);
                }
            }
        }

        source.Index = 9;
        source.Pts = TimeSpan.FromMilliseconds(300);
        source.CaptureTime = DateTimeOffset.UnixEpoch.AddSeconds(5);

        destination.CopyFrom(source);

        for (var plane = 0; plane < source.PlaneCount; plane++)
        {
            for (var row = 0; row < PixelFormats.PlaneHeight(source.Format, plane, source.Height); row++)
            {
                Assert.True(source.GetRow(plane, row).SequenceEqual(destination.GetRow(plane, row)), $"plane {plane} row {row}");
            }
        }

        Assert.Equal(9, destination.Index);
        Assert.Equal(source.Pts, destination.Pts);
        Assert.Equal(source.CaptureTime, destination.CaptureTime);
        source.Release();
        destination.Release();
    }

    [Fact]
    public void CopyFrom_DifferentShape_ThrowsNamingBoth()
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(13, 7, PixelFormat.I420);
        var destination = pool.Rent(13, 7, PixelFormat.Nv12);

        var error = Assert.Throws<ArgumentException>(() => destination.CopyFrom(source));

        Assert.Contains("13x7 I420", error.Message, StringComparison.Ordinal);
        Assert.Contains("13x7 Nv12", error.Message, StringComparison.Ordinal);
        source.Release();
        destination.Release();
    }
}
