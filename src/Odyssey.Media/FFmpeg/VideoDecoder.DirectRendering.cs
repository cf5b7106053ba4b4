using System.Diagnostics;
using System.Runtime.InteropServices;
using Odyssey.Media.FFmpeg.Native;

namespace Odyssey.Media.FFmpeg;

/// <summary>
/// Zero-copy decoding: libavcodec's get_buffer2 callback hands the codec pooled <see cref="VideoFrame"/>
/// buffers, so a decoded picture is already in the frame we pass on and the per-picture copy-out
/// (1.4 MB per 720p frame) disappears.
/// </summary>
/// <remarks>
/// Ownership: each buffer given to libavcodec holds one reference on its frame, dropped by
/// <see cref="FreeBuffer"/> when libavcodec's last AVBufferRef to it goes (it keeps pictures it predicts
/// from). A received frame gets one more reference, the caller's. A frame therefore returns to the pool
/// only when both the codec and every consumer are done with it: a consumer may keep frames while the
/// decoder runs on, and the codec never writes into a picture once it has been output.
/// Served: yuv420p/yuvj420p/nv12 from codecs with AV_CODEC_CAP_DR1 (h264, vp8, vp9). Everything else
/// (libdav1d, which allocates its own pictures; 4:2:2, 4:4:4, 10-bit) goes to libavcodec's default
/// allocator and the copy or swscale path, unchanged.
/// </remarks>
public sealed partial class VideoDecoder
{
    private GCHandle _self;

    /// <summary>True when this decoder's codec decodes straight into pooled frames (see the type's remarks).</summary>
    internal bool DirectRendering { get; private set; }

    /// <summary>Pictures handed out without a copy.</summary>
    internal long DirectFrames { get; private set; }

    /// <summary>Pictures copied (or converted) out of libavcodec's own buffers.</summary>
    internal long CopiedFrames { get; private set; }

    /// <summary>Pictures the callback could not get a pooled buffer for (the codec then reports an error).</summary>
    internal long BufferFailures => Interlocked.Read(ref _bufferFailures);

    private long _bufferFailures;

    private unsafe void InstallDirectRendering(nint avCodec)
    {
        if ((Layouts.ReadInt32(avCodec, Layouts.CodecCapabilities) & Layouts.CodecCapabilityDirectRendering) == 0)
        {
            return;
        }

        // Written before avcodec_open2: frame threads copy the context, callback and opaque included.
        _self = GCHandle.Alloc(this);
        Layouts.WritePointer(_context, Layouts.CodecContextOpaque, GCHandle.ToIntPtr(_self));
        Layouts.WritePointer(_context, Layouts.CodecContextGetBuffer2, (nint)(delegate* unmanaged<nint, nint, int, int>)&GetBuffer);
        Layouts.WriteInt32(_context, Layouts.CodecContextThreadSafeCallbacks, 1);
        DirectRendering = true;
    }

    private void ReleaseDirectRendering()
    {
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }

    private bool Serves(int nativeFormat) => DirectRendering && (nativeFormat == _yuv420p || nativeFormat == _yuvj420p || nativeFormat == _nv12);

    /// <summary>
    /// AVCodecContext.get_buffer2. Runs on the decoding thread or, with frame threads, on libavcodec's
    /// workers (one call at a time, but not ours). Must not throw into native code: any failure is
    /// AVERROR(ENOMEM), which the codec reports as a damaged picture (counted by the decoder).
    /// </summary>
    [UnmanagedCallersOnly]
    private static int GetBuffer(nint context, nint frame, int flags)
    {
        try
        {
            var decoder = (VideoDecoder?)GCHandle.FromIntPtr(Layouts.ReadPointer(context, Layouts.CodecContextOpaque)).Target;
            return decoder is null ? AvUtil.ErrorNoMemory : decoder.Allocate(context, frame, flags);
        }
#pragma warning disable CA1031 // An exception must not unwind into libavcodec: it would take the process down.
        catch (Exception)
#pragma warning restore CA1031
        {
            return AvUtil.ErrorNoMemory;
        }
    }

    /// <summary>av_buffer_create's free callback: libavcodec's last reference to a pooled frame is gone.</summary>
    [UnmanagedCallersOnly]
    private static unsafe void FreeBuffer(nint opaque, byte* data)
    {
        try
        {
            var handle = GCHandle.FromIntPtr(opaque);
            var frame = (VideoFrame?)handle.Target;
            handle.Free();
            frame?.Release();
        }
#pragma warning disable CA1031 // As in GetBuffer: nothing may unwind into native code.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Debug.Fail($"releasing a decoder buffer failed: {exception}");
        }
    }

    private unsafe int Allocate(nint context, nint frame, int flags)
    {
        var native = Layouts.ReadInt32(frame, Layouts.FrameFormat);
        if (!Serves(native))
        {
            return AvCodec.DefaultGetBuffer2(context, frame, flags);
        }

        var format = native == _nv12 ? PixelFormat.Nv12 : PixelFormat.I420;
        var width = Layouts.ReadInt32(frame, Layouts.FrameWidth);
        var height = Layouts.ReadInt32(frame, Layouts.FrameHeight);
        if (width <= 0 || height <= 0)
        {
            Interlocked.Increment(ref _bufferFailures);
            return AvUtil.ErrorNoMemory;
        }

        var (paddedWidth, paddedHeight) = PaddedSize(context, format, width, height);
        var pooled = _pool.RentPadded(width, height, format, paddedWidth, paddedHeight);
        var handle = GCHandle.Alloc(pooled);
        var (start, length) = pooled.GetPlanesBlock();
        var buffer = AvUtil.BufferCreate((byte*)start, (nuint)length, &FreeBuffer, GCHandle.ToIntPtr(handle), 0);
        if (buffer == 0)
        {
            handle.Free();
            pooled.Release();
            Interlocked.Increment(ref _bufferFailures);
            return AvUtil.ErrorNoMemory;
        }

        // One AVBufferRef covers every plane: they are one block in the frame's buffer.
        for (var plane = 0; plane < Layouts.FramePlanePointers; plane++)
        {
            var present = plane < pooled.PlaneCount;
            Layouts.WritePointer(frame, Layouts.FrameData + (plane * sizeof(nint)), present ? pooled.GetPlanePointer(plane) : 0);
            Layouts.WriteInt32(frame, Layouts.FrameLinesize + (plane * sizeof(int)), present ? pooled.GetStride(plane) : 0);
            Layouts.WritePointer(frame, Layouts.FrameBuffers + (plane * sizeof(nint)), plane == 0 ? buffer : 0);
        }

        Layouts.WritePointer(frame, Layouts.FrameExtendedData, frame + Layouts.FrameData);
        return 0;
    }

    /// <summary>
    /// The size libavcodec writes for a <paramref name="width"/> x <paramref name="height"/> picture, as its
    /// own allocator computes it: the codec's aligned dimensions, then the width doubled up by its lowest
    /// set bit until every plane's row length is a multiple of that plane's alignment (which also keeps
    /// luma rows exactly twice chroma rows, as some decoders assume).
    /// </summary>
    private static unsafe (int Width, int Height) PaddedSize(nint context, PixelFormat format, int width, int height)
    {
        var alignedWidth = width;
        var alignedHeight = height;
        var linesizeAlign = stackalloc int[Layouts.FramePlanePointers];
        AvCodec.AlignDimensions2(context, &alignedWidth, &alignedHeight, linesizeAlign);
        var planes = PixelFormats.PlaneCount(format);
        while (true)
        {
            var aligned = true;
            for (var plane = 0; plane < planes; plane++)
            {
                var alignment = Math.Max(linesizeAlign[plane], 1);
                aligned &= PixelFormats.RowBytes(format, plane, alignedWidth) % alignment == 0;
            }

            if (aligned)
            {
                return (alignedWidth, alignedHeight);
            }

            alignedWidth += alignedWidth & -alignedWidth;
        }
    }

    /// <summary>
    /// The received picture as the pooled frame it was decoded into, with one reference for the caller;
    /// null when it must be copied: not one of ours, cropped from the top or left (its planes no longer
    /// start where ours do), or the same buffer shown again while a consumer still holds it (VP9 can
    /// output a picture twice, and the second pts must not overwrite the first's).
    /// </summary>
    private VideoFrame? TakeDirect()
    {
        if (!Serves(Layouts.ReadInt32(_frame, Layouts.FrameFormat)))
        {
            return null;
        }

        var buffer = Layouts.ReadPointer(_frame, Layouts.FrameBuffers);
        if (buffer == 0)
        {
            return null;
        }

        var pooled = (VideoFrame?)GCHandle.FromIntPtr(AvUtil.BufferGetOpaque(buffer)).Target;
        if (pooled is null || pooled.ReferenceCount != 1 || !SamePlanes(pooled))
        {
            return null;
        }

        var width = Layouts.ReadInt32(_frame, Layouts.FrameWidth);
        var height = Layouts.ReadInt32(_frame, Layouts.FrameHeight);
        if (width > pooled.Shape.Width || height > pooled.Shape.Height)
        {
            return null;
        }

        pooled.AddRef();
        pooled.SetVisibleSize(width, height);

        // Metadata as a freshly rented frame has it: a picture shown twice must not keep its first index.
        pooled.Index = 0;
        pooled.CaptureTime = default;
        pooled.Pts = FramePts();
        DirectFrames++;
        return pooled;
    }

    private bool SamePlanes(VideoFrame pooled)
    {
        for (var plane = 0; plane < pooled.PlaneCount; plane++)
        {
            if (Layouts.ReadPointer(_frame, Layouts.FrameData + (plane * IntPtr.Size)) != pooled.GetPlanePointer(plane)
                || Layouts.ReadInt32(_frame, Layouts.FrameLinesize + (plane * sizeof(int))) != pooled.GetStride(plane))
            {
                return false;
            }
        }

        return true;
    }
}
