using System.Collections.Concurrent;

namespace Odyssey.Media;

/// <summary>
/// Keeps released frames for reuse, per shape, so a steady stream allocates nothing per frame.
/// Thread-safe. <see cref="Outstanding"/> counts frames rented and not yet returned: tests assert it
/// comes back to zero.
/// </summary>
public sealed class VideoFramePool
{
    /// <summary>
    /// Frames kept per shape. A pipeline holds at most its link capacities' worth in flight; more than
    /// this idle is memory that a burst left behind, so the excess goes to the GC.
    /// </summary>
    public const int DefaultRetainedPerShape = 64;

    private readonly ConcurrentDictionary<FrameShape, IdleBin<VideoFrame>> _free = new();
    private readonly int _retainedPerShape;
    private long _outstanding;
    private long _allocated;

    /// <summary>Creates a pool that keeps up to <paramref name="retainedPerShape"/> idle frames per shape.</summary>
    public VideoFramePool(int retainedPerShape = DefaultRetainedPerShape)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retainedPerShape);
        _retainedPerShape = retainedPerShape;
    }

    /// <summary>The process-wide pool blocks use unless a pipeline is given its own.</summary>
    public static VideoFramePool Shared { get; } = new();

    /// <summary>Frames rented and not yet released back.</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>Frames this pool has ever allocated (not reused).</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    /// <summary>Rents a frame with one reference. Pixel contents are whatever the last user left.</summary>
    public VideoFrame Rent(int width, int height, PixelFormat format)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        return Rent(new FrameShape(width, height, format));
    }

    /// <summary>
    /// Rents a frame a decoder writes into directly: <paramref name="width"/> x <paramref name="height"/>
    /// pixels in rows of the codec's aligned <paramref name="paddedWidth"/>, with
    /// <paramref name="paddedHeight"/> rows allocated, every plane 64-byte aligned.
    /// </summary>
    internal VideoFrame RentPadded(int width, int height, PixelFormat format, int paddedWidth, int paddedHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfLessThan(paddedWidth, width);
        ArgumentOutOfRangeException.ThrowIfLessThan(paddedHeight, height);
        return Rent(new FrameShape(width, height, format, paddedWidth, paddedHeight));
    }

    private VideoFrame Rent(FrameShape shape)
    {
        if (!_free.GetOrAdd(shape, static _ => new IdleBin<VideoFrame>()).TryTake(out var frame))
        {
            var buffer = GC.AllocateUninitializedArray<byte>(shape.BufferSize(), pinned: true);
            frame = new VideoFrame(this, shape, buffer);
            Interlocked.Increment(ref _allocated);
        }

        frame.Revive();
        Interlocked.Increment(ref _outstanding);
        return frame;
    }

    internal void Return(VideoFrame frame)
    {
        Interlocked.Decrement(ref _outstanding);
        _free.GetOrAdd(frame.Shape, static _ => new IdleBin<VideoFrame>()).Offer(frame, _retainedPerShape);
    }
}
