namespace Odyssey.Media.Tests.Frames;

public class VideoFramePoolTests
{
    [Fact]
    public void Rent_ThenRelease_OutstandingBackToZero()
    {
        var pool = new VideoFramePool();
        var first = pool.Rent(64, 48, PixelFormat.I420);
        var second = pool.Rent(64, 48, PixelFormat.Bgr24);
        Assert.Equal(2, pool.Outstanding);

        first.Release();
        second.Release();

        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(0, first.ReferenceCount);
    }

    [Fact]
    public void Rent_AfterReleaseOfSameShape_ReusesBuffer()
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(64, 48, PixelFormat.Nv12);
        frame.Release();

        var again = pool.Rent(64, 48, PixelFormat.Nv12);

        Assert.Same(frame, again);
        Assert.Equal(1, pool.Allocated);
        Assert.Equal(1, again.ReferenceCount);
        again.Release();
    }

    [Fact]
    public void Rent_DifferentShape_AllocatesNewFrame()
    {
        var pool = new VideoFramePool();
        pool.Rent(64, 48, PixelFormat.Nv12).Release();

        var other = pool.Rent(64, 48, PixelFormat.I420);

        Assert.Equal(2, pool.Allocated);
        other.Release();
    }

    [Fact]
    public void Rent_ReusedFrame_MetadataReset()
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(8, 8, PixelFormat.Gray8);
        frame.Index = 42;
        frame.Pts = TimeSpan.FromSeconds(3);
        frame.CaptureTime = DateTimeOffset.UnixEpoch.AddDays(1);
        frame.Release();

        var again = pool.Rent(8, 8, PixelFormat.Gray8);

        Assert.Equal(0, again.Index);
        Assert.Equal(TimeSpan.Zero, again.Pts);
        Assert.Equal(default, again.CaptureTime);
        again.Release();
    }

    [Fact]
    public void Return_BeyondRetainedCount_ExcessNotReused()
    {
        var pool = new VideoFramePool(retainedPerShape: 1);
        var a = pool.Rent(16, 16, PixelFormat.Gray8);
        var b = pool.Rent(16, 16, PixelFormat.Gray8);
        a.Release();
        b.Release();

        var c = pool.Rent(16, 16, PixelFormat.Gray8);
        var d = pool.Rent(16, 16, PixelFormat.Gray8);

        Assert.Equal(3, pool.Allocated);
        Assert.Same(a, c);
        c.Release();
        d.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(10, 0)]
    [InlineData(-1, 10)]
    public void Rent_NonPositiveSize_Throws(int width, int height)
    {
        var pool = new VideoFramePool();

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(width, height, PixelFormat.I420));
    }

    [Fact]
    public async Task RentRelease_ManyThreads_OutstandingConsistent()
    {
        var pool = new VideoFramePool();
        const int Workers = 4;
        const int Iterations = 2_000;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var tasks = new Task[Workers];
        for (var worker = 0; worker < Workers; worker++)
        {
            var format = (PixelFormat)(worker % 3);
            tasks[worker] = Task.Run(
                () =>
                {
                    for (var i = 0; i < Iterations && !timeout.IsCancellationRequested; i++)
                    {
                        var frame = pool.Rent(32, 16, format);
                        Assert.Equal(1, frame.ReferenceCount);
                        frame.AddRef();
                        frame.Release();
                        frame.Release();
                    }
                },
                timeout.Token);
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, pool.Outstanding);

        // Each worker holds at most one frame at a time, so reuse must have kept allocations small.
        Assert.InRange(pool.Allocated, 1, Workers * 2);
    }
}
