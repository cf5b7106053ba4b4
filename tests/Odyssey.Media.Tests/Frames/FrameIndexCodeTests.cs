namespace Odyssey.Media.Tests.Frames;

/// <summary>The stamp drawn straight into YUV frames (the emulator's world renders I420); the packed-format cases live with the testpattern block's tests.</summary>
public class FrameIndexCodeTests
{
    [Theory]
    [InlineData(PixelFormat.I420, 1280, 704)]
    [InlineData(PixelFormat.I420, 704, 1280)]
    [InlineData(PixelFormat.Nv12, 320, 180)]
    [InlineData(PixelFormat.I420, 65, 49)]
    public void Draw_YuvFrame_ReadsBackWithNeutralChroma(PixelFormat format, int width, int height)
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(width, height, format);
        frame.GetPlane(0).Fill(90);
        for (var plane = 1; plane < frame.PlaneCount; plane++)
        {
            frame.GetPlane(plane).Fill(30);
        }

        FrameIndexCode.Draw(frame, 123_456_789);

        Assert.True(FrameIndexCode.TryRead(frame, out var index));
        Assert.Equal(123_456_789, index);
        Assert.Equal(128, frame.GetRow(1, 0)[0]);
        frame.Release();
        Assert.Equal(0, pool.Outstanding);
    }
}
