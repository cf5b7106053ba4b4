namespace Odyssey.Media.Tests.Frames;

/// <summary>Frames a decoder writes into directly: codec-sized rows and rows, aligned planes, logical view.</summary>
public class PaddedFrameTests
{
    [Theory]
    [InlineData(PixelFormat.I420)]
    [InlineData(PixelFormat.Nv12)]
    public void RentPadded_PlanesAlignedStridesFromPaddedWidthViewLogical(PixelFormat format)
    {
        var pool = new VideoFramePool();

        var frame = pool.RentPadded(200, 120, format, 256, 146);

        Assert.Equal((200, 120), (frame.Width, frame.Height));
        Assert.Equal(256, frame.GetStride(0));
        Assert.Equal(format == PixelFormat.I420 ? 128 : 256, frame.GetStride(1));
        for (var plane = 0; plane < frame.PlaneCount; plane++)
        {
            Assert.Equal(0, frame.GetPlanePointer(plane) % FrameShape.PlaneAlignment);
            Assert.Equal(frame.GetStride(plane) * PixelFormats.PlaneHeight(format, plane, 120), frame.GetPlane(plane).Length);
        }

        // The next plane starts after the padded rows and the decoder's overrun, not after the visible rows.
        var lumaEnd = frame.GetPlanePointer(0) + (256 * 146) + FrameShape.DecoderOverrun;
        Assert.True(frame.GetPlanePointer(1) >= lumaEnd);
        var (start, length) = frame.GetPlanesBlock();
        Assert.Equal(frame.GetPlanePointer(0), start);
        Assert.True(start + length >= frame.GetPlanePointer(frame.PlaneCount - 1) + (frame.GetStride(frame.PlaneCount - 1) * 73));
        frame.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void RentPadded_SamePictureSizeAsPlainFrame_NeverSharesItsBuffer()
    {
        var pool = new VideoFramePool();
        var padded = pool.RentPadded(64, 48, PixelFormat.I420, 128, 70);
        padded.Release();

        var plain = pool.Rent(64, 48, PixelFormat.I420);

        Assert.NotSame(padded, plain);
        Assert.Equal(64, plain.GetStride(0));
        plain.Release();
        Assert.Same(padded, pool.RentPadded(64, 48, PixelFormat.I420, 128, 70));
    }

    [Fact]
    public void SetVisibleSize_Cropped_RowsAndPlanesShrinkAndRentRestoresFullSize()
    {
        var pool = new VideoFramePool();
        var frame = pool.RentPadded(208, 128, PixelFormat.I420, 256, 146);

        frame.SetVisibleSize(200, 120);

        Assert.Equal((200, 120), (frame.Width, frame.Height));
        Assert.Equal(200, frame.GetRow(0, 119).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.GetRow(0, 120));
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.SetVisibleSize(209, 120));
        frame.Release();

        var again = pool.RentPadded(208, 128, PixelFormat.I420, 256, 146);
        Assert.Same(frame, again);
        Assert.Equal((208, 128), (again.Width, again.Height));
        again.Release();
    }

    [Fact]
    public void Rent_PlainFrame_FirstPlaneOn64ByteAddressPlanesBackToBack()
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(66, 50, PixelFormat.I420);

        Assert.Equal(0, frame.GetPlanePointer(0) % FrameShape.PlaneAlignment);
        Assert.Equal(frame.GetPlanePointer(0) + (frame.GetStride(0) * 50), frame.GetPlanePointer(1));
        Assert.Equal(frame.GetPlanePointer(1) + (frame.GetStride(1) * 25), frame.GetPlanePointer(2));
        frame.Release();
    }
}
